"""The README's tenants-file example is what a newcomer copies first: it must load as it stands."""

from __future__ import annotations

import re

import yaml

from config.tenants import parse_tenants
from tests.support.reference import REPO_ROOT


def test_the_readme_tenants_example_loads() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The tenants file"):]
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block is not None
    raw = yaml.safe_load(block.group(1).replace('"6f1c2a4e-..."', '"6f1c2a4e-8b3d-4e5f-9a7b-2c1d0e9f8a71"'))
    tenants = parse_tenants(raw, "README.md")
    tenant = tenants.get("acme-xero")
    assert tenant.provider.value == "xero" and tenant.backsync.interval_minutes == 15
