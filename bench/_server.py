"""What the server benchmarks share: a free port, a daphne process to measure, percentiles.

Imported by the scripts next to it (run as `python bench/<script>.py`, so this folder is on
the path). Everything listens on 127.0.0.1 and is stopped by its PID.
"""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def production_environment() -> None:
    """DEBUG off, a key for this run, quiet logs: set in this process before django.setup().

    The servers it starts inherit the environment, so every process of a run (this one signs
    the sessions) shares the key.
    """
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(48))
    os.environ.setdefault("LOG_LEVEL", "WARNING")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], pct: float) -> float:
    """The nearest-rank percentile (pct in 0..100)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))]


def start_daphne(port: int, log: Path) -> subprocess.Popen:
    """One daphne process serving uc_web.asgi on 127.0.0.1:`port`, once /healthz answers.

    It inherits this process's environment (DATABASE_URL, REDIS_URL, GC_THRESHOLDS, ...);
    its output goes to `log`, for when something fails.
    """
    production_environment()
    env = dict(os.environ)
    log.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
        + ["uc_web.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):  # noqa: S310
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("daphne did not start")
