import os
import subprocess
import sys
from pathlib import Path

from huey import RedisHuey

import cms.views

PROJECT_DIR = Path(__file__).resolve().parent.parent


def test_healthz_reports_database_and_queue(db, client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": {"status": "ok"}, "queue": {"status": "ok"}},
    }


def test_healthz_is_503_when_the_queue_is_unreachable(db, client, monkeypatch):
    # A real Redis client pointed at a port where nothing listens.
    monkeypatch.setattr(
        cms.views, "HUEY", RedisHuey("baton", url="redis://127.0.0.1:1/0")
    )

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == {"status": "ok"}
    assert body["checks"]["queue"]["status"] == "error"
    assert "127.0.0.1" not in response.content.decode()


def _manage(*args, **env):
    # The test settings exported their own values into this process's environment;
    # the child starts from the machine's environment as an operator would.
    ours = {
        "DJANGO_SETTINGS_MODULE",
        "DATABASE_URL",
        "SECRET_KEY",
        "SECURE_SSL_REDIRECT",
        "BATON_VAR_DIR",
        "DEBUG",
    }
    full_env = {key: value for key, value in os.environ.items() if key not in ours}
    full_env.update(env)
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_debug_off_without_a_secret_key_refuses_to_start(tmp_path):
    env = {"DEBUG": "0", "BATON_VAR_DIR": str(tmp_path), "SECRET_KEY": ""}
    result = _manage("check", **env)

    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_openapi_schema_validates_without_warnings(tmp_path):
    schema_file = tmp_path / "schema.yaml"
    result = _manage(
        "spectacular",
        "--urlconf",
        "cms.api.schema_urls",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(schema_file),
        DEBUG="1",
        BATON_VAR_DIR=str(tmp_path),
    )

    assert result.returncode == 0, result.stderr
    assert "/api/v1/templates/{id}/" in schema_file.read_text()
