"""A real Redmine (Debian's ``redmine`` package, SQLite, served by ``thin``) for
the Redmine connector tests.

Preparing a Redmine database (migrations, default data, the seed in
``seed.rb``) boots Rails twice, so it is done once into a cached template,
``var/test-cache/redmine-<package version>-<seed hash>.sqlite3`` (git-ignored;
delete it to rebuild). Each test session copies the template into its own temp
directory, writes fresh API keys into the copy, and runs
``thin`` in the foreground on a free 127.0.0.1 port, killed by PID at the end.

Redmine's Debian layout keeps one instance per directory below
``/usr/share/redmine/instances``; ``REDMINE_INSTANCE`` (a path relative to that
directory) points Redmine at the temp directory instead, so nothing outside it
is written.

People match the demo data: ``<login>@baton.example`` for sales, successor,
dev and manager (locked); ``baton-admin`` is an administrator, ``reader`` an
ordinary user (Reporter in “Website relaunch”).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from ..servers import free_port, stop_process, wait_until_serving

REDMINE_ROOT = Path("/usr/share/redmine")
THIN = "/usr/bin/thin"
BUNDLE = "/usr/bin/bundle"
# Readable only by root and www-data; Redmine's Gemfile picks the database
# driver from it.
PACKAGE_DATABASE_YML = Path("/etc/redmine/default/database.yml")
SEED = Path(__file__).with_name("seed.rb")
CACHE_DIR = Path(__file__).resolve().parents[3] / "var" / "test-cache"


def email(login: str) -> str:
    return f"{login}@baton.example"


def _package_version() -> str:
    result = subprocess.run(
        ["/usr/bin/dpkg-query", "-W", "-f=${Version}", "redmine"],
        capture_output=True,
        text=True,
    )
    return result.stdout.strip() or "unknown"


def _instance_name(directory: Path) -> str:
    """``REDMINE_INSTANCE`` for an instance in ``directory``: enough ``..`` to
    reach / from ``instances`` both as written and through its symlink."""
    return "../" * 16 + str(directory.resolve()).lstrip("/")


def _environment(directory: Path) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        # Rails would prefer DATABASE_URL (the tests' PostgreSQL) to database.yml.
        if key not in {"DATABASE_URL", "X_DEBIAN_SITEID", "BUNDLE_GEMFILE"}
        and not key.startswith(("RAILS_", "RACK_"))
    }
    env.update(
        REDMINE_INSTANCE=_instance_name(directory),
        RAILS_ENV="production",
        RAILS_LOG_LEVEL="warn",
    )
    return env


def _make_instance(directory: Path, database: Path) -> None:
    for name in ("config", "log", "tmp", "files"):
        (directory / name).mkdir(parents=True, exist_ok=True)
    (directory / "config" / "database.yml").write_text(
        f"production:\n  adapter: sqlite3\n  database: {database}\n  timeout: 5000\n"
    )
    (directory / "config" / "secret_key.txt").write_text(secrets.token_hex(32) + "\n")


def _run(args, directory: Path, what: str) -> None:
    result = subprocess.run(  # noqa: S603 - the system's bundle, fixed arguments
        [BUNDLE, "exec", *args],
        cwd=REDMINE_ROOT,
        env=_environment(directory),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode:
        raise RuntimeError(
            f"{what} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )


def template_database() -> Path:
    """The prepared database (migrated, default data, seed), built once."""
    digest = hashlib.sha256(SEED.read_bytes()).hexdigest()[:12]
    path = CACHE_DIR / f"redmine-{_package_version()}-{digest}.sqlite3"
    if path.exists():
        return path
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with (CACHE_DIR / "redmine.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return path
        build = Path(tempfile.mkdtemp(prefix="baton-redmine-build-"))
        try:
            database = build / "redmine.sqlite3"
            _make_instance(build, database)
            # SCHEMA=/dev/null: no schema.rb dumped into /usr/share/redmine.
            _run(["rake", "db:migrate", "SCHEMA=/dev/null"], build, "Migrations")
            _run(["rails", "runner", str(SEED)], build, "The Redmine seed")
            partial = path.with_suffix(".partial")
            shutil.copyfile(database, partial)
            os.replace(partial, path)
        finally:
            shutil.rmtree(build, ignore_errors=True)
    return path


@dataclass
class Redmine:
    """A running Redmine and what connectors need to reach it.

    ``settings()`` / ``secrets()`` give connector settings (keyword arguments
    override single ones); ``api()`` calls the REST API as the administrator
    (to create, read and delete issues around a test); ``user_id(login)`` is a
    user's Redmine id. ``stop()`` / ``start()`` take the server down and bring
    it back on the same port with the same data.
    """

    workdir: Path
    port: int
    admin_key: str
    reader_key: str
    host: str = "127.0.0.1"
    process: subprocess.Popen | None = field(default=None, repr=False)
    _ids: dict = field(default_factory=dict, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def database(self) -> Path:
        return self.workdir / "redmine.sqlite3"

    @property
    def log(self) -> Path:
        return self.workdir / "thin.log"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def settings(self, **overrides) -> dict:
        return {"base_url": self.url, "match_by": "email", "timeout": 10, **overrides}

    def secrets(self, **overrides) -> dict:
        return {"api_key": self.admin_key, **overrides}

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        response = requests.request(
            method,
            self.url + path,
            headers={"X-Redmine-API-Key": self.admin_key},
            timeout=30,
            **kwargs,
        )
        response.raise_for_status()
        return response

    def user_id(self, login: str) -> int:
        if login not in self._ids:
            with sqlite3.connect(self.database) as db:
                row = db.execute("SELECT id FROM users WHERE login = ?", (login,))
                self._ids[login] = row.fetchone()[0]
        return self._ids[login]

    def create_issue(self, subject: str, *, assignee="sales", project="invoice-system"):
        """A new open issue (via the API) for a test to change; its id."""
        body = {
            "issue": {
                "project_id": project,
                "subject": subject,
                "assigned_to_id": self.user_id(assignee),
            }
        }
        return self.api("POST", "/issues.json", json=body).json()["issue"]["id"]

    def issue(self, issue_id) -> dict:
        return self.api("GET", f"/issues/{issue_id}.json?include=journals").json()[
            "issue"
        ]

    def start(self) -> None:
        if self.running:
            return
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - system thin, fixed args
                [
                    THIN,
                    "start",
                    *("--address", self.host),
                    *("--port", str(self.port)),
                    *("--environment", "production"),
                    *("--rackup", str(REDMINE_ROOT / "config.ru")),
                ],
                cwd=REDMINE_ROOT,
                env=_environment(self.workdir),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if wait_until_serving(
            self.process,
            lambda: requests.get(self.url + "/", timeout=2),
            seconds=90,
            pause=0.2,
            errors=requests.RequestException,
        ):
            return
        if self.process.poll() is not None:
            code = self.process.returncode
            raise RuntimeError(f"thin exited with {code}:\n{self.log.read_text()}")
        self.stop()
        raise RuntimeError(
            f"Redmine did not answer on {self.url}:\n{self.log.read_text()}"
        )

    def stop(self) -> None:
        process, self.process = self.process, None
        stop_process(process)


def _missing() -> str:
    for path in (REDMINE_ROOT / "config.ru", Path(THIN), Path(BUNDLE)):
        if not path.exists():
            return (
                f"{path} is missing (apt-get install redmine redmine-sqlite thin); "
                "the Redmine connector tests need a real Redmine."
            )
    if not os.access(PACKAGE_DATABASE_YML, os.R_OK):
        return (
            f"{PACKAGE_DATABASE_YML} is not readable: Redmine's Gemfile needs it to "
            "load the SQLite driver. Run the tests as root or in group www-data."
        )
    return ""


@pytest.fixture(scope="session")
def redmine():
    missing = _missing()
    if missing:
        if os.environ.get("BATON_REQUIRE_SERVERS"):
            pytest.fail(missing + " BATON_REQUIRE_SERVERS is set, so this is an error.")
        pytest.skip(missing)
    template = template_database()
    workdir = Path(tempfile.mkdtemp(prefix="baton-redmine-"))
    server = Redmine(
        workdir=workdir,
        port=free_port(),
        # Fresh keys per session: tests check they never leak into messages.
        admin_key=secrets.token_hex(20),
        reader_key=secrets.token_hex(20),
    )
    try:
        _make_instance(workdir, server.database)
        shutil.copyfile(template, server.database)
        with sqlite3.connect(server.database) as db:
            for login, key in (
                ("baton-admin", server.admin_key),
                ("reader", server.reader_key),
            ):
                db.execute(
                    "UPDATE tokens SET value = ? WHERE action = 'api' AND user_id = "
                    "(SELECT id FROM users WHERE login = ?)",
                    (key, login),
                )
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def running_redmine(redmine):
    """The session's Redmine, brought back up if an earlier test left it down."""
    redmine.start()
    yield redmine
    redmine.start()


@pytest.fixture
def scratch_issues(running_redmine):
    """Create issues for one test (``scratch_issues("subject", assignee=…)``);
    they are deleted afterwards, so the seeded data stays as it was."""
    created = []

    def create(subject, **kwargs):
        issue_id = running_redmine.create_issue(subject, **kwargs)
        created.append(issue_id)
        return issue_id

    yield create
    for issue_id in created:
        with contextlib.suppress(requests.RequestException):
            running_redmine.api("DELETE", f"/issues/{issue_id}.json")
