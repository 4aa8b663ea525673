"""What the real-server fixtures share: a free local port, waiting until a
freshly started server answers, and stopping it by its PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(
    process: subprocess.Popen, probe, *, seconds: float, pause: float, errors=()
) -> bool:
    """Call ``probe()`` until it returns anything but ``False`` (True), the
    process exits or ``seconds`` pass (False). ``errors`` raised by the probe
    mean "not yet"."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if probe() is not False:
                return True
        except errors:
            pass
        time.sleep(pause)
    return False


def stop_process(
    process: subprocess.Popen | None, *, kill: bool = False, timeout: float = 15
) -> None:
    """Stop this one process (SIGTERM, or SIGKILL with ``kill``) and wait; a
    process that will not stop is killed."""
    if process is None or process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGCONT)  # in case it was paused
    process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)
