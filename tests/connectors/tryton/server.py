"""A real Tryton server for the connector tests: ``trytond`` (a pip dev
dependency, with the ``sale_opportunity`` module) on 127.0.0.1, on a free port,
with an SQLite database in a temp dir.

Creating the database takes a while (``trytond-admin --all`` plus the modules),
so it is built once into a prepared file under ``var/test-cache/`` (git-ignored),
keyed on the trytond version and the seed script, and copied for each session.
The seed (``seed.py``) holds the demo company, its employees and Chen Fang's
clients and opportunities.

Import ``tryton_server`` (session) and ``running_tryton`` (per test, brings the
server back up and restores the prepared data when a test changed it) into a
test module or conftest to use them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import xmlrpc.client
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pytest

from ..servers import free_port, stop_process, wait_until_serving

__all__ = [
    "DATABASE",
    "TrytonServer",
    "running_tryton",
    "tryton_server",
]

DATABASE = "baton"
ADMIN = "admin"
HERE = Path(__file__).resolve().parent
SEED = HERE / "seed.py"
CACHE_DIR = HERE.parents[2] / "var" / "test-cache"
BUILD_SECONDS = 600
STARTUP_SECONDS = 60


def _script(name: str) -> str | None:
    script = Path(sys.executable).with_name(name)
    if script.exists():
        return str(script)
    return shutil.which(name)


def _config(workdir: Path, port: int) -> Path:
    conf = workdir / "trytond.conf"
    conf.write_text(
        f"""[database]
uri = sqlite://
path = {workdir / "db"}
list = True

[web]
listen = 127.0.0.1:{port}

[session]
max_attempt = 50
"""
    )
    return conf


def cache_key() -> str:
    """The trytond version and a digest of the seed: either changes the data."""
    version = metadata.version("trytond")
    digest = hashlib.sha256(SEED.read_bytes()).hexdigest()[:12]
    return f"tryton-{version}-{digest}"


@dataclass
class TrytonServer:
    """A running trytond and what connectors need to reach it.

    ``settings()`` / ``secrets()`` give the Tryton connector's settings and
    secrets (keyword arguments override single ones); ``ids`` holds the seeded
    record ids (``ids["opportunities"]["Tea shop POS rollout"]``,
    ``ids["employees"]["sales"]``, ``ids["parties"][name]``…). ``call()``
    talks to the server directly (as admin) to check what a test changed.
    ``stop()`` / ``start()`` take it down and bring it back on the same port;
    ``restore()`` puts the prepared data back.
    """

    workdir: Path
    port: int
    password: str
    ids: dict
    prepared: Path
    database: str = DATABASE
    username: str = ADMIN
    process: subprocess.Popen | None = field(default=None, repr=False)
    changed: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def conf(self) -> Path:
        return self.workdir / "trytond.conf"

    @property
    def log(self) -> Path:
        return self.workdir / "trytond.log"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def settings(self, **overrides) -> dict:
        settings = {
            "url": self.url,
            "database": self.database,
            "username": self.username,
            "match_by": "email",
            "match_attribute": "email",
            "timeout": 10,
        }
        settings.update(overrides)
        return settings

    def secrets(self, **overrides) -> dict:
        return {"password": self.password, **overrides}

    def proxy(self) -> xmlrpc.client.ServerProxy:
        return xmlrpc.client.ServerProxy(
            f"http://{self.username}:{self.password}@127.0.0.1:{self.port}"
            f"/{self.database}/rpc/",
            allow_none=True,
            use_builtin_types=True,
        )

    def call(self, model: str, method: str, *args):
        """``model.method(*args, context)`` as admin, e.g.
        ``call("sale.opportunity", "read", [1], ["employee"])``."""
        proxy = self.proxy()
        try:
            return getattr(proxy, f"model.{model}.{method}")(*args, {})
        finally:
            proxy("close")()

    def owner_of(self, title: str) -> int | None:
        """The employee id an opportunity of the seed belongs to now."""
        opportunity = self.ids["opportunities"][title]
        (row,) = self.call("sale.opportunity", "read", [opportunity], ["employee"])
        return row["employee"]

    def start(self) -> None:
        if self.running:
            return
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our trytond, fixed args
                [_script("trytond"), "-c", str(self.conf), "-d", self.database],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_env(),
            )
        if wait_until_serving(
            self.process,
            lambda: self.call("res.user", "get_preferences", True),
            seconds=STARTUP_SECONDS,
            pause=0.2,
            errors=(OSError, xmlrpc.client.Error),
        ):
            return
        if self.process.poll() is not None:
            code = self.process.returncode
            self.process = None
            raise RuntimeError(f"trytond exited with {code}:\n{self._log_tail()}")
        self.stop()
        raise RuntimeError(f"trytond did not answer on {self.url}:\n{self._log_tail()}")

    def stop(self) -> None:
        process, self.process = self.process, None
        stop_process(process)

    def pause(self) -> None:
        """Freeze the server: it accepts connections but never answers."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self.running:
            os.kill(self.process.pid, signal.SIGCONT)

    def restore(self) -> None:
        """Back to the prepared data (after a test changed records)."""
        self.stop()
        _install(self.prepared, self.workdir / "db" / f"{self.database}.sqlite")
        self.changed = False
        self.start()

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


def _install(source: Path, target: Path) -> None:
    """Copy a database file, dropping the write-ahead log of the one it
    replaces (trytond runs SQLite in WAL mode)."""
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)


def _snapshot(source: Path, target: Path) -> None:
    """A self-contained copy of a database, its write-ahead log included."""
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")


def _env() -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TRYTOND_", "TRYTONPASSFILE", "DJANGO_"))
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run(command: list[str], *, env: dict, workdir: Path, what: str) -> None:
    result = subprocess.run(  # noqa: S603 - our own scripts, fixed args
        command,
        cwd=workdir,
        env=env,
        input="\n",  # trytond-admin asks for the admin's e-mail: none
        capture_output=True,
        text=True,
        timeout=BUILD_SECONDS,
    )
    if result.returncode:
        raise RuntimeError(
            f"{what} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )


def build_prepared(target: Path) -> None:
    """Create, initialise and seed a database; store it (and its ids and admin
    password) as ``target`` and ``target.json``."""
    workdir = Path(tempfile.mkdtemp(prefix="baton-tryton-build-"))
    try:
        (workdir / "db").mkdir()
        conf = _config(workdir, free_port())
        database = workdir / "db" / f"{DATABASE}.sqlite"
        database.touch()
        password = "pw-" + secrets.token_hex(12)
        passfile = workdir / "admin-password"
        passfile.write_text(password + "\n")
        env = {**_env(), "TRYTONPASSFILE": str(passfile)}
        _run(
            [
                _script("trytond-admin"),
                *("-c", str(conf), "-d", DATABASE, "--all"),
                *("-u", "sale_opportunity", "--activate-dependencies"),
            ],
            env=env,
            workdir=workdir,
            what="trytond-admin",
        )
        ids_file = workdir / "ids.json"
        _run(
            [sys.executable, str(SEED), str(conf), DATABASE, str(ids_file)],
            env=_env(),
            workdir=workdir,
            what="Seeding the Tryton database",
        )
        ids = json.loads(ids_file.read_text())
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        _snapshot(database, partial)
        target.with_suffix(".json").write_text(
            json.dumps({"password": password, "ids": ids}, indent=2)
        )
        os.replace(partial, target)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def prepared_database() -> Path:
    """The prepared database file, built first if missing (one builder at a
    time: concurrent sessions wait for it)."""
    target = CACHE_DIR / f"{cache_key()}.sqlite"
    if target.exists() and target.with_suffix(".json").exists():
        return target
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with (CACHE_DIR / "tryton.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (target.exists() and target.with_suffix(".json").exists()):
                build_prepared(target)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return target


def _require_trytond() -> None:
    if _script("trytond") and _script("trytond-admin"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            metadata.version("trytond-sale-opportunity")
            return
    message = (
        "trytond and trytond-sale-opportunity are not installed; they are dev "
        "dependencies: `.venv/bin/pip install -e '.[dev]'` (or `make install`)."
    )
    if os.environ.get("BATON_REQUIRE_SERVERS"):
        pytest.fail(message + " BATON_REQUIRE_SERVERS is set, so this is an error.")
    pytest.skip(message)


@pytest.fixture(scope="session")
def tryton_server():
    _require_trytond()
    prepared = prepared_database()
    stored = json.loads(prepared.with_suffix(".json").read_text())
    workdir = Path(tempfile.mkdtemp(prefix="baton-tryton-"))
    (workdir / "db").mkdir()
    _install(prepared, workdir / "db" / f"{DATABASE}.sqlite")
    port = free_port()
    _config(workdir, port)
    server = TrytonServer(
        workdir=workdir,
        port=port,
        password=stored["password"],
        ids=stored["ids"],
        prepared=prepared,
    )
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def running_tryton(tryton_server):
    """The session's server, up and answering, with the prepared data. A test
    that changes records sets ``running_tryton.changed = True``; the data is
    restored after it."""
    if not tryton_server.running:
        tryton_server.start()
    else:
        tryton_server.resume()
    yield tryton_server
    if tryton_server.changed:
        tryton_server.restore()
    elif not tryton_server.running:
        tryton_server.start()
    else:
        tryton_server.resume()
