"""The production stack `make prod-check` starts (deploy/prod_check.py): the
throwaway database and queue, the environment file, the nginx site rendered
from deploy/nginx/baton.conf, and the processes, so that all of it can be
stopped and removed again."""

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import redis
from cryptography.fernet import Fernet
from prod_handover import StepFailed

PROJECT = Path(__file__).resolve().parent.parent
DEPLOY = PROJECT / "deploy"
PYTHON = sys.executable
BIN = Path(PYTHON).parent
POSTGRES = os.environ.get("PROD_CHECK_POSTGRES", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("PROD_CHECK_REDIS", "redis://127.0.0.1:6379/0")
WEB_WORKERS = 3
# What deploy/nginx/baton.conf says, and what the check puts in its place.
NGINX_EXAMPLES = {
    "listen 443 ssl": "listen 127.0.0.1:{https_port} ssl",
    "listen 80;": "listen 127.0.0.1:{http_port};",
    "server 127.0.0.1:8000": "server {web_bind}",
    "/etc/ssl/baton/fullchain.pem": "{work}/tls/cert.pem",
    "/etc/ssl/baton/privkey.pem": "{work}/tls/key.pem",
    "/var/www/baton/static/": "{work}/static/",
    "/var/lib/baton/": "{work}/var/",
    "/var/log/nginx/": "{work}/logs/",
}


_STARTED = time.monotonic()


def say(message: str) -> None:
    line = f"prod-check [{time.monotonic() - _STARTED:5.0f}s] {message}\n"
    sys.stdout.write(line)  # one write: steps may run alongside each other
    sys.stdout.flush()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Stack:
    """Everything the check starts, so that it can stop all of it."""

    def __init__(self, work: Path):
        self.work = work
        self.logs = work / "logs"
        self.logs.mkdir(parents=True)
        self.processes: dict[str, subprocess.Popen] = {}
        self.database = f"baton_prod_check_{os.getpid()}"
        self.huey_name = f"baton_prod_check_{os.getpid()}"  # huey drops "-"
        self.database_created = False
        self.nginx = shutil.which("nginx") or (
            "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
        )
        web_port, self.https_port, self.http_port = (
            free_port(),
            free_port(),
            free_port(),
        )
        self.web_bind = f"127.0.0.1:{web_port}"
        self.base_url = f"https://localhost:{self.https_port}"
        self.env: dict[str, str] = {}

    # Processes

    def command(self, step: str, *args: str, env: dict | None = None, timeout=600):
        say(step)
        result = subprocess.run(  # noqa: S603 - our own tools, fixed arguments
            args,
            cwd=PROJECT,
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        log = self.logs / "commands.log"
        with log.open("a") as out:
            out.write(f"$ {' '.join(args)}\n{result.stdout}{result.stderr}\n")
        if result.returncode != 0:
            raise StepFailed(
                f"{step}: exit {result.returncode}\n{result.stdout}{result.stderr}"
            )
        return result

    def manage(self, step: str, *args: str, **kwargs):
        return self.command(step, PYTHON, "manage.py", *args, **kwargs)

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("w")
        # Multiprocess metrics as the systemd units set them up: a folder of
        # the service's own under BATON_METRICS_DIR (docs/observability.md).
        metrics = self.work / "metrics" / name
        metrics.mkdir(parents=True)
        process = subprocess.Popen(  # noqa: S603 - our own tools, fixed arguments
            args,
            cwd=PROJECT,
            env={**self.env, "PROMETHEUS_MULTIPROC_DIR": str(metrics)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as one
        )
        self.processes[name] = process
        say(f"started {name} (pid {process.pid})")
        return process

    def log_text(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def alive(self, name: str) -> bool:
        if self.processes[name].poll() is not None:
            raise StepFailed(f"{name} exited ({self.processes[name].returncode}).")
        return True

    def stop(self):
        # huey finishes running tasks on SIGINT, gunicorn and nginx on SIGTERM/QUIT.
        stop_signals = {"scheduler": signal.SIGINT, "worker": signal.SIGINT}
        for name, process in self.processes.items():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, stop_signals.get(name, signal.SIGTERM))
        for name, process in self.processes.items():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                say(f"{name} did not stop in 30s: killing it")
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()

    # Resources

    def create_database(self):
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{self.database}"')
        self.database_created = True

    def drop_database(self):
        if not self.database_created:
            return
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
            connection.execute(
                f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'
            )
        self.database_created = False

    def drop_queue(self):
        client = redis.Redis.from_url(REDIS)
        for key in client.scan_iter(f"huey.*{self.huey_name}*"):
            client.delete(key)
        client.close()

    # Configuration

    def write_environment(self):
        """The environment file, as an operator writes /etc/baton/baton.env."""
        tls = self.work / "tls"
        tls.mkdir()
        var = self.work / "var"
        signing_key = self.work / "signing-key.pem"
        self.command(
            "creating the server's signing key (openssl genpkey -algorithm ed25519)",
            "openssl", "genpkey", "-algorithm", "ed25519", "-out", str(signing_key),
            env=dict(os.environ),
        )  # fmt: skip
        signing_key.chmod(0o600)
        values = {
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "localhost,127.0.0.1",
            "BATON_BASE_URL": f"https://localhost:{self.https_port}",
            "DATABASE_URL": f"{POSTGRES}/{self.database}",
            "REDIS_URL": REDIS,
            "HUEY_NAME": self.huey_name,
            "BATON_VAR_DIR": str(var),
            "STATIC_ROOT": str(self.work / "static"),
            "MEDIA_ROOT": str(var / "media"),
            "BATON_SIGNING_KEY_FILE": str(signing_key),
            "BATON_SECRETS_KEYS": Fernet.generate_key().decode(),
            "BATON_TRUSTED_PROXIES": "1",
            "BATON_WEB_BIND": self.web_bind,
            "BATON_WEB_WORKERS": str(WEB_WORKERS),
            "CONN_MAX_AGE": "60",
            "BATON_METRICS_DIR": str(self.work / "metrics"),
        }
        env_file = self.work / "baton.env"
        env_file.touch(mode=0o600)
        env_file.write_text(
            "".join(f"{key}={value}\n" for key, value in values.items())
        )
        # The machine's environment without anything Baton reads, then the file.
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("BATON_", "DJANGO_", "HUEY_"))
            and key not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}
        }
        self.env.update(values, DJANGO_SETTINGS_MODULE="config.settings")

    def render_nginx(self) -> Path:
        """deploy/nginx/baton.conf with this machine's ports and folders."""
        site = (DEPLOY / "nginx" / "baton.conf").read_text()
        values = {
            "https_port": self.https_port,
            "http_port": self.http_port,
            "web_bind": self.web_bind,
            "work": self.work,
        }
        for example, replacement in NGINX_EXAMPLES.items():
            if example not in site:
                raise StepFailed(f"deploy/nginx/baton.conf no longer says {example!r}.")
            site = site.replace(example, replacement.format(**values))
        (self.work / "nginx").mkdir()
        (self.work / "nginx" / "baton.conf").write_text(site)
        main = self.work / "nginx" / "nginx.conf"
        main.write_text(
            f"""
pid {self.work}/nginx/nginx.pid;
error_log {self.logs}/nginx-error.log;
worker_processes 1;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {self.work}/nginx/body;
    proxy_temp_path {self.work}/nginx/proxy;
    fastcgi_temp_path {self.work}/nginx/fastcgi;
    uwsgi_temp_path {self.work}/nginx/uwsgi;
    scgi_temp_path {self.work}/nginx/scgi;
    include {self.work}/nginx/baton.conf;
}}
"""
        )
        return main

    def make_certificate(self):
        tls = self.work / "tls"
        self.command(
            "making a self-signed TLS certificate for localhost (openssl req)",
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", str(tls / "key.pem"), "-out", str(tls / "cert.pem"),
            env=dict(os.environ),
        )  # fmt: skip
