"""`make prod-check`: Baton's production stack on this machine, driven over
HTTP and stopped again (docs/deploy.md, "The production check").

It creates a throwaway PostgreSQL database and huey queue name on the local
PostgreSQL and Redis, writes an environment file like deploy/baton.env.example,
runs what docs/deploy.md says to run before the first start (migrate,
collectstatic, check --deploy, which must be clean) and starts the stack:
gunicorn with deploy/gunicorn.conf.py and several workers, two huey consumers
(one with the periodic scheduler, one --no-periodic) and nginx (which it
needs) with deploy/nginx/baton.conf in front (TLS with a certificate
made now). It then shows that a broken configuration stops gunicorn at start,
plays a handover end to end over HTTP (deploy/prod_handover.py), reloads
gunicorn (SIGHUP) under traffic without a failed request, and stops everything
it started, also on failure or Ctrl-C, and drops the database.

Exit status 0 when every step passed; otherwise the failed step and the tail of
the logs. PROD_CHECK_KEEP=1 keeps the working folder (logs, env) for a look.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import redis
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from prod_handover import Site, StepFailed, expect, run, wait_for
from prod_stack import BIN, DEPLOY, PROJECT, PYTHON, WEB_WORKERS, Stack, free_port, say


def check_fails_fast(stack: Stack):
    """A broken configuration stops gunicorn before it serves anything."""
    broken = {
        **stack.env,
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "BATON_WEB_BIND": f"127.0.0.1:{free_port()}",
    }
    say("a broken configuration (Redis unreachable) stops gunicorn at start")
    result = subprocess.run(  # noqa: S603 - our own tools, fixed arguments
        [str(BIN / "gunicorn"), "-c", str(DEPLOY / "gunicorn.conf.py")],
        cwd=PROJECT,
        env=broken,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    if result.returncode != 3 or "baton.E002" not in output:
        raise StepFailed(
            f"gunicorn started or failed differently on a broken configuration "
            f"(exit {result.returncode}):\n{output[-3000:]}"
        )


def worker_pids(master: int) -> set[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return (
        {int(pid) for pid in children.read_text().split()}
        if children.exists()
        else set()
    )


def check_reload_under_traffic(stack: Stack, site: Site):
    """`systemctl reload baton-web` (SIGHUP) replaces every worker while
    requests keep being answered."""
    master = stack.processes["gunicorn"].pid
    before = worker_pids(master)
    failures, answered, done = [], [0], threading.Event()

    def traffic():
        session = site.session()
        while not done.is_set():
            try:
                # A request that arrives while the new workers load Django
                # waits in the socket's backlog: slow on a busy machine, but
                # answered — a refused or failed one is what counts.
                response = session.get(site.url("/healthz"), timeout=60)
                if response.status_code != 200:
                    failures.append(response.status_code)
                answered[0] += 1
            except requests.RequestException as error:
                failures.append(repr(error))

    thread = threading.Thread(target=traffic)
    thread.start()
    try:
        wait_for(lambda: answered[0] >= 5, "traffic before the reload", 30)
        os.kill(master, signal.SIGHUP)
        wait_for(
            lambda: (
                (pids := worker_pids(master))
                and not pids & before
                and len(pids) == WEB_WORKERS
            ),
            "gunicorn's new workers after SIGHUP",
            120,
        )
        seen = answered[0]
        wait_for(lambda: answered[0] >= seen + 5, "traffic after the reload", 30)
    finally:
        done.set()
        thread.join()
    if failures:
        raise StepFailed(f"Requests failed during the reload: {failures[:5]}")
    say(
        f"reloaded gunicorn (SIGHUP) under traffic: {answered[0]} requests, none failed"
    )


def check_nginx(site: Site, stack: Stack):
    session = site.session()
    plain = session.get(
        f"http://localhost:{stack.http_port}/healthz", allow_redirects=False
    )
    if plain.status_code != 301 or not plain.headers["Location"].startswith("https://"):
        raise StepFailed(
            f"http:// does not redirect to https:// ({plain.status_code})."
        )
    manifest = Path(stack.env["STATIC_ROOT"]) / "staticfiles.json"
    hashed = next(iter(json.loads(manifest.read_text())["paths"].values()))
    static = expect(session.get(site.url(f"/static/{hashed}")), 200, "a static file")
    if "Content-Security-Policy" in static.headers:
        raise StepFailed("Static files come from Django, not from nginx.")
    say("nginx: http redirects to https and serves /static/ itself")


def check_media_closed(site: Site, stack: Stack):
    """The handover's uploads exist under MEDIA_ROOT, and no URL serves them."""
    media = Path(stack.env["MEDIA_ROOT"])
    uploads = [path for path in media.rglob("*") if path.is_file()]
    if not uploads:
        raise StepFailed(f"No uploaded file under MEDIA_ROOT ({media}).")
    for upload in uploads[:3]:
        path = upload.relative_to(media).as_posix()
        expect(site.session().get(site.url(f"/media/{path}")), 404, "/media/ closed")
    say(f"nginx: /media/ is closed ({len(uploads)} uploaded file(s), none served)")


def check_metrics(site: Site):
    """/metrics (loopback only) adds up every process' metrics: the web
    workers' and the consumers'."""
    metrics = expect(site.session().get(site.url("/metrics")), 200, "/metrics").text
    if not re.search(r"baton_huey_task_runs_total\{[^}]*issue_certificate", metrics):
        raise StepFailed("/metrics does not count the consumer's certificate task.")
    say("/metrics counts the consumers' task runs beside the web requests")


def check_certificate_came_from_a_consumer(stack: Stack):
    logs = stack.log_text("scheduler") + stack.log_text("worker")
    ran = r"reports\.tasks\.issue_certificate: \S+ (\d+ retries )?executed"
    if not re.search(ran, logs):
        raise StepFailed("No huey consumer's log shows the certificate task run.")
    say("the consumers' log shows reports.tasks.issue_certificate executed")


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="baton-prod-check-"))
    # nginx's workers (nobody, when started as root) reach the static files
    # through it; nothing in it can be listed.
    work.chmod(0o711)
    stack = Stack(work)
    failed = None

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    started = time.monotonic()
    try:
        say(f"working folder {work}")
        if not stack.nginx:
            raise StepFailed(
                "nginx is not installed (apt-get install nginx): the check serves "
                "Baton through deploy/nginx/baton.conf, as docs/deploy.md does."
            )
        stack.write_environment()
        stack.create_database()
        say(f"created database {stack.database}, huey name {stack.huey_name}")
        # Two cores: collectstatic (compressing every file) and the fail-fast
        # gunicorn start run alongside the database steps.
        with ThreadPoolExecutor(max_workers=2) as alongside:
            static = alongside.submit(
                stack.manage,
                "collectstatic (alongside migrate)",
                "collectstatic", "--noinput", "-v", "0",
            )  # fmt: skip
            stack.manage("migrate", "migrate", "--noinput", "-v", "0")
            result = stack.manage(
                "check --deploy (clean: no warning)",
                "check", "--deploy", "--fail-level", "WARNING",
            )  # fmt: skip
            if "WARNINGS" in result.stderr:
                raise StepFailed(f"check --deploy warns:\n{result.stderr}")
            fails_fast = alongside.submit(check_fails_fast, stack)
            stack.manage(
                "seeding the demo people and templates (seed_demo --force "
                "--no-history)",
                "seed_demo", "--force", "--no-history",
            )  # fmt: skip
            static.result()
            fails_fast.result()

        stack.start(
            "gunicorn", str(BIN / "gunicorn"), "-c", str(DEPLOY / "gunicorn.conf.py")
        )
        stack.start("scheduler", PYTHON, "manage.py", "run_huey")
        stack.start("worker", PYTHON, "manage.py", "run_huey", "--no-periodic")
        stack.make_certificate()
        config = stack.render_nginx()
        stack.command("nginx -t", stack.nginx, "-t", "-c", str(config))
        stack.start("nginx", stack.nginx, "-c", str(config), "-g", "daemon off;")
        site = Site(stack.base_url, str(work / "tls" / "cert.pem"), say)

        def healthy():
            for name in stack.processes:
                stack.alive(name)
            return (
                site.session().get(site.url("/healthz"), timeout=5).status_code == 200
            )

        wait_for(healthy, f"{site.base}/healthz to answer 200", 90)
        say(f"{site.base}/healthz answers 200")
        for name in ("scheduler", "worker"):
            wait_for(
                lambda name=name: (
                    stack.alive(name)
                    and "consumer started" in stack.log_text(name).lower()
                ),
                f"the huey consumer {name}",
                60,
            )
        if "periodic tasks are enabled" not in stack.log_text("scheduler").lower():
            raise StepFailed("The scheduler consumer does not run periodic tasks.")
        if "periodic tasks are disabled" not in stack.log_text("worker").lower():
            raise StepFailed("The --no-periodic consumer runs periodic tasks.")
        say("two huey consumers on Redis: one scheduler, one --no-periodic")
        check_nginx(site, stack)
        outcome = run(site)
        check_certificate_came_from_a_consumer(stack)
        check_metrics(site)
        check_media_closed(site, stack)
        check_reload_under_traffic(stack, site)
        say(
            f"PASSED in {time.monotonic() - started:.0f}s: handover "
            f"{outcome['handover']}, certificate {outcome['certificate']}"
        )
    except KeyboardInterrupt:
        failed = "interrupted"
    except StepFailed as error:
        failed = str(error)
    except Exception as error:  # noqa: BLE001 - any failure fails the check, with its logs
        failed = f"{type(error).__name__}: {error}"
    finally:
        # Cleaning up runs to its end: a second Ctrl-C must not leave orphans.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
        try:
            stack.drop_database()
            stack.drop_queue()
        except (psycopg.Error, redis.RedisError) as error:
            say(f"cleaning up: {error}")
    if failed:
        print(f"\nprod-check FAILED: {failed}\n", file=sys.stderr)
        for log in sorted(stack.logs.glob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-40:]
            print(f"---- {log.name} (last {len(tail)} lines)", file=sys.stderr)
            print("\n".join(tail), file=sys.stderr)
    if failed or os.environ.get("PROD_CHECK_KEEP"):
        say(f"kept the working folder {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
