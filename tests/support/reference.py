"""Where the shared reference material lives: beside the repository, as ``../shared/reference``."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def reference_dir() -> Path:
    """The folder of provider facts and schemas (overridable with REFUNDSYNC_REFERENCE_DIR)."""
    override = os.environ.get("REFUNDSYNC_REFERENCE_DIR")
    candidates = [Path(override)] if override else []
    candidates += [REPO_ROOT.parent / "shared" / "reference", REPO_ROOT / "shared" / "reference"]
    for candidate in candidates:
        if (candidate / "xero_accounting.yaml").exists():
            return candidate
    raise FileNotFoundError(
        "shared reference folder not found; expected ../shared/reference beside the repository "
        "(or set REFUNDSYNC_REFERENCE_DIR)"
    )
