"""A bad tenants file names the file, the field path, the value, and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import ConfigError
from config.tenants import Provider, load_tenants


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tenants.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_file_loads_with_resolved_urls(tmp_path: Path) -> None:
    path = _write(tmp_path, """
tenants:
  acme-qbo:
    provider: quickbooks
    realm_id: "9130355377389516"
    base_url: intuit-sandbox
  acme-xero:
    provider: xero
    tenant_id: 6a0d5b38-3c4e-4b7e-9a55-2b1d0e0f8a11
    base_url: http://127.0.0.1:8765/
""")
    tenants = load_tenants(path)
    assert tenants.get("acme-qbo").provider is Provider.QUICKBOOKS
    assert tenants.get("acme-qbo").api_base_url == "https://sandbox-quickbooks.api.intuit.com"
    assert tenants.get("acme-xero").api_base_url == "http://127.0.0.1:8765"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("tenants:\n  a:\n    provider: sage\n    realm_id: '1'\n",
         "tenants.a.provider: Input should be 'quickbooks' or 'xero' (got 'sage')"),
        ("tenants:\n  a:\n    provider: quickbooks\n",
         "tenants.a: a quickbooks tenant needs realm_id"),
        ("tenants:\n  a:\n    provider: xero\n    tenant_id: t\n    base_url: intuit-sandbox\n",
         "base_url 'intuit-sandbox' is for quickbooks tenants only"),
        ("tenants:\n  a:\n    provider: xero\n    tenant_id: t\n    base_url: ftp://x\n",
         "tenants.a.base_url: must be 'production', 'intuit-sandbox' or an http(s):// URL"),
        ("tenants:\n  Bad Name:\n    provider: xero\n    tenant_id: t\n",
         "tenants.Bad Name.name: must be 1-63 lower-case letters"),
        ("tenants:\n  a:\n    provider: xero\n    tenant_id: t\n    colour: blue\n",
         "tenants.a.colour: Extra inputs are not permitted (got 'blue')"),
        ("tenant:\n  a: {}\n", "tenants: must be a mapping of tenant names"),
        ("tenants:\n  a: [\n", "not valid YAML"),
    ],
)
def test_errors_name_file_field_value_and_fix(tmp_path: Path, body: str, expected: str) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(ConfigError) as info:
        load_tenants(path)
    text = info.value.render()
    assert text.startswith(f"{path}:"), text
    assert expected in text, text
    assert "fix:" in text


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"copy config/tenants\.example\.yaml"):
        load_tenants(tmp_path / "nope.yaml")


def test_unknown_tenant_lists_the_known_ones(tmp_path: Path) -> None:
    tenants = load_tenants(_write(tmp_path, "tenants:\n  a:\n    provider: xero\n    tenant_id: t\n"))
    with pytest.raises(ConfigError, match=r"no tenant of that name \(known: a\)"):
        tenants.get("b")


def test_secrets_are_masked_in_summaries(tmp_path: Path) -> None:
    tenants = load_tenants(_write(tmp_path, "tenants:\n  a:\n    provider: xero\n    tenant_id: t\n"
                                            "    client_id: app-1\n    client_secret: s3cr3t-value\n"))
    summary = tenants.get("a").safe_summary()
    assert summary["client_secret"] == "set (hidden)"
    assert "s3cr3t-value" not in repr(tenants)
