"""compose.yaml and the Dockerfile, checked without a Docker engine (there is none here or in CI).

What `docker compose config` would catch structurally (unknown keys, dependency conditions, anchors) and
what it would not (a service URL naming a host no service provides, a tenants file out of step with the
example, a worker without a healthcheck) are checked by reading the files. The image itself is not built.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from config.tenants import load_tenants
from tests.support.reference import REPO_ROOT

COMPOSE = yaml.safe_load((REPO_ROOT / "compose.yaml").read_text(encoding="utf-8"))
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
#: The compose-spec service keys this file may use (a subset of the spec's; a typo is not among them).
SERVICE_KEYS = {"image", "build", "command", "environment", "volumes", "restart", "depends_on", "healthcheck",
                "ports"}
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
ONE_SHOT = {"migrate", "connect"}


def test_every_part_is_a_service_and_uses_only_known_keys() -> None:
    assert {"redis", "postgres", "worker", "beat", "sandbox"} <= set(SERVICES)
    assert set(COMPOSE) <= {"name", "services", "volumes"} | {k for k in COMPOSE if k.startswith("x-")}
    for name, service in SERVICES.items():
        assert set(service) <= SERVICE_KEYS, (name, set(service) - SERVICE_KEYS)
        assert "image" in service or "build" in service, name
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (REPO_ROOT / source).exists(), (name, volume)
            else:
                assert source in COMPOSE["volumes"], (name, volume)


def test_dependencies_name_services_with_a_valid_condition_and_no_cycle() -> None:
    for name, service in SERVICES.items():
        for dep, rule in service.get("depends_on", {}).items():
            assert dep in SERVICES, (name, dep)
            assert rule["condition"] in CONDITIONS, (name, dep)
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in SERVICES[dep] or SERVICES[dep].get("image") == "refundsync:local", dep
            if rule["condition"] == "service_completed_successfully":
                assert dep in ONE_SHOT and SERVICES[dep]["restart"] == "no", dep

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"dependency cycle {' -> '.join((*path, name))}"
        for dep in SERVICES[name].get("depends_on", {}):
            visit(dep, (*path, name))

    for name in SERVICES:
        visit(name, ())
    assert {"redis", "migrate", "connect"} <= set(SERVICES["worker"]["depends_on"])
    assert {"redis", "migrate"} <= set(SERVICES["beat"]["depends_on"])


def test_long_running_services_have_a_healthcheck_and_one_shots_do_not_restart() -> None:
    for name, service in SERVICES.items():
        if name in ONE_SHOT:
            assert service["restart"] == "no"
            continue
        # the worker inherits the image's HEALTHCHECK (a ping of this container's worker over the broker)
        if name != "worker":
            assert service["healthcheck"]["test"][0] in {"CMD", "CMD-SHELL"}, name
    assert "healthcheck" not in SERVICES["worker"]
    assert "--host" in SERVICES["sandbox"]["command"] and "0.0.0.0" in SERVICES["sandbox"]["command"]


def test_service_urls_point_at_services_and_the_settings_load() -> None:
    from config.settings import Settings

    worker_env = SERVICES["worker"]["environment"]
    for key in ("REFUNDSYNC_BROKER_URL", "REFUNDSYNC_DATABASE_URL"):
        host = urlsplit(worker_env[key]).hostname
        assert host in SERVICES, (key, host)
    postgres = SERVICES["postgres"]["environment"]
    assert worker_env["REFUNDSYNC_DATABASE_URL"] == (f"postgresql+psycopg://{postgres['POSTGRES_USER']}:"
                                                     f"{postgres['POSTGRES_PASSWORD']}@postgres:5432/"
                                                     f"{postgres['POSTGRES_DB']}")
    assert worker_env["REFUNDSYNC_TOKEN_KEY"].startswith("${REFUNDSYNC_TOKEN_KEY:?"), "no key in the file itself"
    fields = {f"REFUNDSYNC_{name.upper()}" for name in Settings.model_fields}
    for name, service in SERVICES.items():
        for key in service.get("environment", {}):
            if key.startswith("REFUNDSYNC_"):
                assert key in fields, (name, key)
    assert worker_env["REFUNDSYNC_METRICS_PORT"] == "9808" and "9808:9808" in SERVICES["worker"]["ports"]


def test_the_tenants_file_is_the_example_pointed_at_the_sandbox_service(tmp_path: Path) -> None:
    compose_file = REPO_ROOT / "docker" / "tenants.yaml"
    ours = yaml.safe_load(compose_file.read_text(encoding="utf-8"))
    example = yaml.safe_load((REPO_ROOT / "config" / "tenants.example.yaml").read_text(encoding="utf-8"))
    for block in example["tenants"].values():
        block["base_url"] = "http://sandbox:8765"
    assert ours == example
    assert SERVICES["connect"]["command"][-1] == "http://sandbox:8765"
    assert load_tenants(compose_file).get("demo-xero").base_url == "http://sandbox:8765"


@pytest.mark.parametrize("stage", ["build", "final"])
def test_dockerfile_is_slim_and_the_final_image_runs_as_a_user(stage: str) -> None:
    text = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")
    froms = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    assert len(froms) == 2 and all(f.endswith("-slim") for f in froms)
    final = text.split("\nFROM ", 2)[-1]
    if stage == "final":
        users = re.findall(r"^USER (\S+)", final, re.MULTILINE)
        assert users and users[-1] not in {"root", "0"}
        assert re.search(r"^HEALTHCHECK .*\n\s+CMD ", final, re.MULTILINE)
        assert "inspect ping" in final
    else:
        assert "-c requirements.lock" in text
