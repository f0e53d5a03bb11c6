"""The tenants file: one entry per accounting company refundsync posts into.

```yaml
tenants:
  demo-qbo:
    provider: quickbooks
    realm_id: "9130355377389516"
    base_url: intuit-sandbox        # production | intuit-sandbox | http://127.0.0.1:8765 (local sandbox)
    mapping: {...}                  # see config/mapping.py and config/tenants.example.yaml
```
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from config.backsync import BacksyncSettings
from config.errors import ConfigError, ConfigProblem, problems_from_validation
from config.limits import DEFAULT_LIMITS, LimitOverrides, ProviderLimits
from config.mapping import MappingConfig, mapping_problems

#: Validation context key: a list that collects mapping problems (with field paths) instead of raising.
MAPPING_PROBLEMS = "mapping_problems"

TENANT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")

#: Named base URLs; anything else must be an http(s) URL (the local sandbox, a proxy).
QUICKBOOKS_BASE_URLS = {
    "production": "https://quickbooks.api.intuit.com",
    "intuit-sandbox": "https://sandbox-quickbooks.api.intuit.com",
}
XERO_BASE_URLS = {"production": "https://api.xero.com"}


class Provider(StrEnum):
    QUICKBOOKS = "quickbooks"
    XERO = "xero"


class TenantConfig(BaseModel):
    """One accounting company: which system, which company in it, where to reach it, how to map cases."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    provider: Provider
    realm_id: str | None = Field(default=None, description="QuickBooks company (realm) id.")
    tenant_id: str | None = Field(default=None, description="Xero organisation (tenant) id.")
    base_url: str = "production"
    client_id: str | None = None
    client_secret: SecretStr | None = None
    home_currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    mapping: MappingConfig = Field(default_factory=MappingConfig)
    limits: LimitOverrides = Field(default_factory=LimitOverrides)
    backsync: BacksyncSettings = Field(default_factory=BacksyncSettings)

    @field_validator("name")
    @classmethod
    def _name_is_slug(cls, value: str) -> str:
        if not TENANT_NAME.match(value):
            raise ValueError(
                "must be 1-63 lower-case letters, digits, '-' or '_', starting with a letter or digit"
            )
        return value

    @field_validator("base_url")
    @classmethod
    def _known_or_url(cls, value: str) -> str:
        if value in QUICKBOOKS_BASE_URLS or value in XERO_BASE_URLS:
            return value
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be 'production', 'intuit-sandbox' or an http(s):// URL of a local sandbox")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _company_id_for_provider(self) -> TenantConfig:
        if self.provider is Provider.QUICKBOOKS:
            if not self.realm_id:
                raise ValueError("a quickbooks tenant needs realm_id (the company id shown in QuickBooks)")
        elif not self.tenant_id:
            raise ValueError("a xero tenant needs tenant_id (from GET /connections after connecting)")
        if self.provider is Provider.XERO and self.base_url == "intuit-sandbox":
            raise ValueError("base_url 'intuit-sandbox' is for quickbooks tenants only")
        return self

    @model_validator(mode="after")
    def _mapping_fits_provider(self, info: ValidationInfo) -> TenantConfig:
        """Provider-dependent mapping checks; a tenants file collects them with their full field paths."""
        problems = mapping_problems(self.mapping, self.provider.value, self.home_currency)
        if not problems:
            return self
        collector = (info.context or {}).get(MAPPING_PROBLEMS)
        if isinstance(collector, list):
            collector.extend(problems)
            return self
        raise ValueError("; ".join(p.render() for p in problems))

    @property
    def api_base_url(self) -> str:
        """The resolved base URL (named environments expanded)."""
        table = QUICKBOOKS_BASE_URLS if self.provider is Provider.QUICKBOOKS else XERO_BASE_URLS
        return table.get(self.base_url, self.base_url)

    @property
    def effective_limits(self) -> ProviderLimits:
        """The provider's published limits with this tenant's overrides applied."""
        return self.limits.apply(DEFAULT_LIMITS[self.provider.value])

    @property
    def company_id(self) -> str:
        """Realm id or tenant id, whichever the provider uses."""
        return (self.realm_id if self.provider is Provider.QUICKBOOKS else self.tenant_id) or ""

    def safe_summary(self) -> dict[str, str]:
        return {
            "name": self.name,
            "provider": self.provider.value,
            "company": self.company_id,
            "base_url": self.api_base_url,
            "client_id": self.client_id or "-",
            "client_secret": "set (hidden)" if self.client_secret else "-",
            "home_currency": self.home_currency,
        }


class TenantsFile(BaseModel):
    """The whole file, keyed by tenant name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: Path
    tenants: dict[str, TenantConfig]

    def get(self, name: str) -> TenantConfig:
        try:
            return self.tenants[name]
        except KeyError:
            known = ", ".join(sorted(self.tenants)) or "none"
            raise ConfigError(
                self.path,
                [ConfigProblem(field="tenants", value=name,
                               message=f"no tenant of that name (known: {known})")],
                hint=f"add '{name}' under 'tenants:' or correct the case's tenant field",
            ) from None


def load_tenants(path: Path | str) -> TenantsFile:
    """Read and validate a tenants file; every problem is reported with its field path."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(
            path,
            [ConfigProblem(field="(file)", value=str(path), message="file not found")],
            hint="copy config/tenants.example.yaml and edit it, or set REFUNDSYNC_TENANTS_FILE",
        )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        raise ConfigError(
            path,
            [ConfigProblem(field=where, value=getattr(exc, "problem", None), message="not valid YAML")],
            hint="fix the YAML syntax at the position shown (indentation, a missing ':' or quote)",
        ) from None
    return parse_tenants(raw, path)


def parse_tenants(raw: Any, path: Path | str = "<tenants>") -> TenantsFile:
    path = Path(path)
    if not isinstance(raw, dict) or not isinstance(raw.get("tenants"), dict):
        raise ConfigError(
            path,
            [ConfigProblem(field="tenants", value=type(raw).__name__,
                           message="must be a mapping of tenant names")],
            hint="start the file with 'tenants:' followed by one indented block per company",
        )
    extra = sorted(set(raw) - {"tenants"})
    problems = [ConfigProblem(field=k, value=raw[k], message="unknown top-level key") for k in extra]
    tenants: dict[str, TenantConfig] = {}
    for name, body in raw["tenants"].items():
        prefix = f"tenants.{name}."
        if not isinstance(body, dict):
            problems.append(ConfigProblem(field=prefix[:-1], value=body,
                                          message="must be a mapping of settings"))
            continue
        found: list[ConfigProblem] = []
        try:
            tenant = TenantConfig.model_validate(
                {"name": str(name), **body}, context={MAPPING_PROBLEMS: found}
            )
        except ValidationError as exc:
            problems.extend(problems_from_validation(exc, prefix=prefix))
            continue
        if found:
            problems.extend(ConfigProblem(prefix + p.field, p.value, p.message) for p in found)
            continue
        tenants[str(name)] = tenant
    if problems:
        raise ConfigError(
            path,
            problems,
            hint="see config/tenants.example.yaml for every allowed field and its form",
        )
    return TenantsFile(path=path, tenants=tenants)
