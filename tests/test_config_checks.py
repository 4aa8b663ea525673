"""Bad configuration fails fast (cms/checks.py): each deploy check reports its
problem under a bad setting and nothing under a good one; `check --deploy`
and gunicorn's start refuse a broken configuration."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from django.core.files.storage import Storage
from django.db import connection
from django.test import override_settings

from cms import checks

PROJECT_DIR = Path(__file__).resolve().parent.parent
# A loopback port where nothing listens: connections are refused at once.
DEAD = "127.0.0.1:1"


def messages(results) -> list[str]:
    return [f"{result.id}: {result.msg}" for result in results]


def write_pem(path: Path, key) -> Path:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


# The database


def test_database_check_passes_when_the_database_answers(db):
    assert checks.database_answers() == []


def test_database_check_names_an_unreachable_database(db, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "PORT", "1")

    (problem,) = messages(checks.database_answers())

    assert problem.startswith("baton.E001: The database (postgresql at 127.0.0.1)")
    assert "does not answer" in problem


# Redis


def test_redis_check_passes_when_redis_answers():
    with override_settings(REDIS_URL="redis://127.0.0.1:6379/0"):
        assert checks.redis_answers() == []


def test_redis_check_is_silent_without_redis_configured():
    with override_settings(REDIS_URL=""):
        assert checks.redis_answers() == []


def test_redis_check_names_an_unreachable_redis():
    with override_settings(REDIS_URL=f"redis://{DEAD}/0"):
        (problem,) = messages(checks.redis_answers())

    assert problem.startswith(
        "baton.E002: REDIS_URL is set but Redis at 127.0.0.1:1 does not answer"
    )


# The signing key


def test_signing_key_check_passes_with_an_ed25519_key_file(tmp_path):
    key_file = write_pem(tmp_path / "key.pem", ed25519.Ed25519PrivateKey.generate())
    with override_settings(
        DEBUG=False, BATON_SIGNING_KEY="", BATON_SIGNING_KEY_FILE=str(key_file)
    ):
        assert checks.signing_key_readable() == []


def test_signing_key_check_passes_with_the_key_in_the_environment():
    pem = (
        ed25519.Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    with override_settings(
        DEBUG=False, BATON_SIGNING_KEY=pem, BATON_SIGNING_KEY_FILE="/nonexistent"
    ):
        assert checks.signing_key_readable() == []


def test_signing_key_check_refuses_a_missing_key_file(tmp_path):
    missing = tmp_path / "signing-key.pem"
    with override_settings(
        DEBUG=False, BATON_SIGNING_KEY="", BATON_SIGNING_KEY_FILE=str(missing)
    ):
        (problem,) = messages(checks.signing_key_readable())

    assert problem == (
        f"baton.E003: The signing key is missing: BATON_SIGNING_KEY_FILE "
        f"({missing}) does not exist."
    )
    # Nothing generated a key behind the operator's back.
    assert not missing.exists()


def test_signing_key_check_refuses_a_file_that_is_no_key(tmp_path):
    garbage = tmp_path / "key.pem"
    garbage.write_text("not a key")
    with override_settings(
        DEBUG=False, BATON_SIGNING_KEY="", BATON_SIGNING_KEY_FILE=str(garbage)
    ):
        (problem,) = messages(checks.signing_key_readable())

    assert "is not an unencrypted PEM private key" in problem


def test_signing_key_check_refuses_a_key_of_another_kind(tmp_path):
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = write_pem(tmp_path / "key.pem", rsa_key)
    with override_settings(
        DEBUG=False, BATON_SIGNING_KEY="", BATON_SIGNING_KEY_FILE=str(key_file)
    ):
        (problem,) = messages(checks.signing_key_readable())

    assert problem.endswith("is not an Ed25519 key.")


def test_signing_key_is_not_required_in_development(tmp_path):
    with override_settings(
        DEBUG=True, BATON_SIGNING_KEY="", BATON_SIGNING_KEY_FILE=str(tmp_path / "no")
    ):
        assert checks.signing_key_readable() == []


# Connector secrets keys


def test_secrets_keys_check_passes_with_fernet_keys():
    keys = f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}"
    with override_settings(DEBUG=False, BATON_SECRETS_KEYS=keys):
        assert checks.secrets_keys_set() == []


def test_secrets_keys_check_refuses_none_with_debug_off():
    with override_settings(DEBUG=False, BATON_SECRETS_KEYS=" , "):
        (problem,) = messages(checks.secrets_keys_set())

    assert problem.startswith("baton.E004: BATON_SECRETS_KEYS is not set")


def test_secrets_keys_check_refuses_a_key_that_is_no_fernet_key():
    keys = f"{Fernet.generate_key().decode()},secret"
    with override_settings(DEBUG=False, BATON_SECRETS_KEYS=keys):
        (problem,) = messages(checks.secrets_keys_set())

    assert problem.startswith("baton.E004: BATON_SECRETS_KEYS: key 2 is not")


# Hosts and the base URL


def test_allowed_hosts_must_not_be_empty_with_debug_off():
    with override_settings(DEBUG=False, ALLOWED_HOSTS=[]):
        (problem,) = messages(checks.allowed_hosts_set())
    with override_settings(DEBUG=False, ALLOWED_HOSTS=["baton.example.com"]):
        good = checks.allowed_hosts_set()

    assert problem.startswith("baton.E005: ALLOWED_HOSTS is empty")
    assert good == []


@pytest.mark.parametrize(
    ("url", "hosts", "expected"),
    [
        ("https://baton.example.com", ["baton.example.com"], None),
        ("https://baton.example.com/", [".example.com"], None),
        ("http://baton.example.com", ["baton.example.com"], "must be the site's"),
        ("baton.example.com", ["baton.example.com"], "must be the site's"),
        ("https://other.example.org", ["baton.example.com"], "not in ALLOWED_HOSTS"),
    ],
)
def test_base_url_must_be_https_and_allowed(url, hosts, expected):
    with override_settings(DEBUG=False, WAGTAILADMIN_BASE_URL=url, ALLOWED_HOSTS=hosts):
        problems = messages(checks.base_url_is_https())

    if expected is None:
        assert problems == []
    else:
        (problem,) = problems
        assert problem.startswith("baton.E006")
        assert expected in problem


# S3-compatible media storage


class RefusingS3Storage(Storage):
    """Stands for an S3 storage whose credentials the server refuses."""

    def exists(self, name):
        raise PermissionError("An error occurred (InvalidAccessKeyId)")


class RefusingStorage(RefusingS3Storage):
    """Refuses too, but is no S3 storage."""


class AnsweringS3Storage(Storage):
    def exists(self, name):
        return False


def _storages(backend: str) -> dict:
    return {
        "default": {"BACKEND": f"{__name__}.{backend}"},
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }


def test_storage_check_reports_refused_credentials():
    with override_settings(STORAGES=_storages("RefusingS3Storage")):
        (problem,) = messages(checks.media_storage_answers())

    assert problem.startswith("baton.E007: The media storage")
    assert "InvalidAccessKeyId" in problem


def test_storage_check_passes_when_the_storage_answers():
    with override_settings(STORAGES=_storages("AnsweringS3Storage")):
        assert checks.media_storage_answers() == []


def test_storage_check_leaves_the_filesystem_alone():
    # Not an S3 backend: the check does not even ask it.
    with override_settings(STORAGES=_storages("RefusingStorage")):
        assert checks.media_storage_answers() == []


# The OIDC provider


DISCOVERY = "/.well-known/openid-configuration"


def test_oidc_check_passes_when_the_provider_answers(httpserver):
    httpserver.expect_request(DISCOVERY).respond_with_json(
        {"issuer": httpserver.url_for("/"), "authorization_endpoint": "/auth"}
    )
    with override_settings(BATON_OIDC_DISCOVERY_URL=httpserver.url_for(DISCOVERY)):
        assert checks.oidc_provider_answers() == []


def test_oidc_check_names_a_provider_that_does_not_answer():
    url = f"http://{DEAD}{DISCOVERY}"
    with override_settings(BATON_OIDC_DISCOVERY_URL=url):
        (problem,) = messages(checks.oidc_provider_answers())

    assert problem.startswith(f"baton.E008: The OIDC provider does not answer at {url}")


def test_oidc_check_refuses_an_error_or_a_page_that_is_no_discovery(httpserver):
    httpserver.expect_request("/broken").respond_with_data("down", status=502)
    httpserver.expect_request("/html").respond_with_data("<html>login</html>")
    with override_settings(BATON_OIDC_DISCOVERY_URL=httpserver.url_for("/broken")):
        (broken,) = messages(checks.oidc_provider_answers())
    with override_settings(BATON_OIDC_DISCOVERY_URL=httpserver.url_for("/html")):
        (html,) = messages(checks.oidc_provider_answers())

    assert "502" in broken
    assert html.startswith("baton.E008: The OIDC provider does not answer")


def test_oidc_check_is_silent_without_single_sign_on():
    with override_settings(BATON_OIDC_DISCOVERY_URL=""):
        assert checks.oidc_provider_answers() == []


# Django's async guard


def test_async_guard_must_stay_on(monkeypatch):
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    assert checks.async_guard_on() == []

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    (problem,) = messages(checks.async_guard_on())

    assert problem.startswith("baton.E009: DJANGO_ALLOW_ASYNC_UNSAFE is set")


# The whole configuration, as an operator starts Baton


def production_environment(tmp_path: Path, **changes) -> dict:
    """A complete production configuration from the machine's environment
    (the test settings' own variables left out), changed by ``changes``."""
    ours = {
        "DJANGO_SETTINGS_MODULE",
        "DATABASE_URL",
        "SECRET_KEY",
        "SECURE_SSL_REDIRECT",
        "BATON_VAR_DIR",
        "DEBUG",
        "REDIS_URL",
    }
    environment = {key: value for key, value in os.environ.items() if key not in ours}
    key_file = write_pem(tmp_path / "key.pem", ed25519.Ed25519PrivateKey.generate())
    environment.update(
        DEBUG="0",
        SECRET_KEY="a-long-random-production-like-secret-" + "k3y" * 10,
        ALLOWED_HOSTS="baton.example.com",
        BATON_BASE_URL="https://baton.example.com",
        BATON_VAR_DIR=str(tmp_path),
        BATON_SIGNING_KEY_FILE=str(key_file),
        BATON_SECRETS_KEYS=Fernet.generate_key().decode(),
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    environment.update(changes)
    return environment


def run(command: list[str], environment: dict, timeout=120):
    return subprocess.run(  # noqa: S603 - our own commands with fixed arguments
        command,
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_deploy_check_is_clean_for_a_complete_configuration(tmp_path):
    result = run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_environment(tmp_path),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stderr


def test_deploy_check_names_every_problem_of_a_broken_configuration(tmp_path):
    result = run(
        [sys.executable, "manage.py", "check", "--deploy"],
        production_environment(
            tmp_path,
            REDIS_URL=f"redis://{DEAD}/0",
            BATON_SIGNING_KEY_FILE=str(tmp_path / "missing.pem"),
            BATON_SECRETS_KEYS="",
            BATON_BASE_URL="http://baton.example.com",
        ),
    )

    assert result.returncode != 0
    for code in ("baton.E002", "baton.E003", "baton.E004", "baton.E006"):
        assert code in result.stderr


def test_gunicorn_refuses_to_start_on_a_broken_configuration(tmp_path):
    gunicorn = Path(sys.executable).with_name("gunicorn")
    result = run(
        [str(gunicorn), "-c", "deploy/gunicorn.conf.py"],
        production_environment(
            tmp_path, REDIS_URL=f"redis://{DEAD}/0", BATON_WEB_BIND="127.0.0.1:0"
        ),
        timeout=60,
    )

    assert result.returncode == 3
    output = result.stdout + result.stderr
    assert "Baton's configuration check failed; not starting." in output
    assert "REDIS_URL is set but Redis at 127.0.0.1:1 does not answer" in output
    assert "Booting worker" not in output


# The documentation


def test_every_environment_variable_is_in_the_deploy_guide():
    spec = importlib.util.spec_from_file_location(
        "env_reference", PROJECT_DIR / "deploy" / "env_reference.py"
    )
    env_reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(env_reference)
    guide = (PROJECT_DIR / "docs" / "deploy.md").read_text()

    names = env_reference.variables()
    missing = [name for name in names if f"`{name}`" not in guide]

    assert {"SECRET_KEY", "REDIS_URL", "BATON_WEB_WORKERS"} <= set(names)
    assert missing == [], (
        "Not in docs/deploy.md (regenerate its table with "
        f"`python deploy/env_reference.py --write`): {missing}"
    )


def test_gunicorn_names_a_missing_secret_key(tmp_path):
    gunicorn = Path(sys.executable).with_name("gunicorn")
    result = run(
        [str(gunicorn), "-c", "deploy/gunicorn.conf.py"],
        production_environment(tmp_path, SECRET_KEY="", BATON_WEB_BIND="127.0.0.1:0"),
        timeout=60,
    )

    assert result.returncode == 3
    output = result.stdout + result.stderr
    assert (
        "Set SECRET_KEY (at least 32 random characters) when DEBUG is off: it is "
        in output
    )
    assert "not set." in output
    assert "Booting worker" not in output
