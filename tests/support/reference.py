"""Where the providers' schemas live: ``tests/reference/`` (shipped with the repository; see its README)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def reference_dir() -> Path:
    """The folder of provider facts and schemas (overridable with REFUNDSYNC_REFERENCE_DIR)."""
    override = os.environ.get("REFUNDSYNC_REFERENCE_DIR")
    candidates = [Path(override)] if override else []
    candidates += [REPO_ROOT / "tests" / "reference"]
    for candidate in candidates:
        if (candidate / "xero_accounting.yaml").exists():
            return candidate
    raise FileNotFoundError(
        f"provider schemas not found in {candidates}; tests/reference/ ships with the repository "
        "(or set REFUNDSYNC_REFERENCE_DIR)"
    )
