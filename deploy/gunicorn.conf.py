"""gunicorn's configuration for Baton (docs/deploy.md): the systemd unit
baton-web.service and `make prod-check` both start gunicorn with this file.

    gunicorn -c deploy/gunicorn.conf.py

Settings come from the environment, like Baton's own:

- BATON_WEB_BIND     where to listen (default 127.0.0.1:8000; nginx proxies to it)
- BATON_WEB_WORKERS  worker processes (default 2 x CPU cores + 1, at most 8)
- BATON_WEB_TIMEOUT  seconds a request may take before its worker is replaced
                     (default 60: a certificate PDF or an export takes seconds)

Before it listens, gunicorn runs `django-admin check --deploy` (cms/checks.py):
an unreachable database or Redis, a missing signing key or secrets key, a wrong
BATON_BASE_URL … stop the start with the check's message instead of showing as
500s later. The check runs in a child process so that this master process never
imports Baton: on `systemctl reload baton-web` (SIGHUP) the new workers load the
new code.
"""

import multiprocessing
import os
import subprocess
import sys

# Multiprocess metrics (docs/observability.md); imports no Django.
from config.observability.gunicorn import child_exit  # noqa: F401

wsgi_app = "config.wsgi:application"
bind = os.environ.get("BATON_WEB_BIND", "127.0.0.1:8000").split(",")
workers = int(
    os.environ.get("BATON_WEB_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 8))
)
worker_class = "sync"
timeout = int(os.environ.get("BATON_WEB_TIMEOUT", 60))
# On reload or stop, a worker finishes the request it is serving first.
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so that slow growth of a process never adds up.
max_requests = 2000
max_requests_jitter = 200
# nginx on the same machine sets X-Forwarded-Proto; Django reads it through
# SECURE_PROXY_SSL_HEADER, gunicorn only for its own wsgi.url_scheme.
forwarded_allow_ips = os.environ.get("BATON_WEB_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Logs go to stdout/stderr: the journal under systemd.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("BATON_WEB_LOG_LEVEL", "info")
access_log_format = '%(h)s %({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(M)sms'
proc_name = "baton-web"
# Newer gunicorn's control socket (gunicornc) is not used: systemd's signals do
# its job, and the socket would be one more file in the service's home.
control_socket_disable = True


def on_starting(server):
    """Refuse to start on a bad configuration (cms/checks.py)."""
    environment = {"DJANGO_SETTINGS_MODULE": "config.settings", **os.environ}
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "ERROR"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        server.log.error(
            "Baton's configuration check failed; not starting.\n%s%s",
            result.stdout,
            result.stderr,
        )
        sys.exit(3)
    server.log.info("Configuration check passed (django-admin check --deploy).")
