"""docker-compose.yml is a valid Compose file and runs the five services from one image."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML  # check-jsonschema's YAML reader, so no extra dependency

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
# compose-spec's schema/compose-spec.json, as vendored by check-jsonschema (Apache-2.0, see the LICENSE beside it)
SCHEMA = ROOT / "tests" / "data" / "compose-spec.json"


def _compose() -> dict:
    return YAML(typ="safe").load(COMPOSE.read_text(encoding="utf-8"))


def test_compose_file_validates_against_the_compose_spec_schema() -> None:
    check = Path(sys.executable).with_name("check-jsonschema")
    proc = subprocess.run(
        [str(check), "--schemafile", str(SCHEMA), str(COMPOSE)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_five_services_exist() -> None:
    assert set(_compose()["services"]) == {"postgres", "redis", "web", "worker", "beat"}


def test_web_worker_and_beat_share_one_image_built_from_the_dockerfile() -> None:
    services = _compose()["services"]
    app = [services[name] for name in ("web", "worker", "beat")]
    assert {s["image"] for s in app} == {"workflow:latest"}
    assert all(s["build"] == "." for s in app)
    assert (ROOT / "Dockerfile").is_file()
    assert [s["command"][:2] for s in app] == [
        ["workflow", "run"],
        ["workflow", "worker"],
        ["workflow", "beat"],
    ]


def test_app_services_reach_postgres_and_redis_through_the_environment() -> None:
    services = _compose()["services"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert (
            env["WORKFLOW_DATABASE_URL"].startswith("postgresql+psycopg://")
            and "@postgres:" in env["WORKFLOW_DATABASE_URL"]
        )
        assert env["WORKFLOW_REDIS_URL"].startswith("redis://redis:")


def test_the_schema_rejects_a_broken_compose_file(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  web:\n    image: 5\n    ports: yes\n", encoding="utf-8")
    check = Path(sys.executable).with_name("check-jsonschema")
    proc = subprocess.run(
        [str(check), "--schemafile", str(SCHEMA), str(broken)], capture_output=True, timeout=60
    )
    assert proc.returncode != 0
