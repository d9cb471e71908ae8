"""`make run`'s server (`manage.py serve`) as a newcomer meets it: DEBUG off, a secret key
generated once and kept, static files served, plain http on loopback, friendly errors,
HOST/PORT from the environment."""

import json
import os
import re
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.fixtures.live import BASE_DIR, _free_port

pytestmark = [pytest.mark.browser]

PASSPHRASE = "First-passphrase-2026"


def embedded_env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        # nothing of the test run's own configuration: the embedded default
        if key not in {"DJANGO_DEBUG", "DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL"}
        and not key.startswith(("CELERY_", "CHANNEL_LAYER", "CACHE_KEY"))
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_SECRET_KEY_FILE=str(tmp_path / "var" / "secret-key"),
        STATIC_ROOT=str(tmp_path / "static"),
        MEDIA_ROOT=str(tmp_path / "media"),
        EMAIL_FILE_PATH=str(tmp_path / "mail"),
        HOST="127.0.0.1",
        PORT=str(port),
    )
    return env


def start_serve(env: dict[str, str], log: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve"],
        cwd=BASE_DIR,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://{env['HOST']}:{env['PORT']}/healthz"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return process
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("serve did not start:\n" + log.read_text(errors="replace"))
        time.sleep(0.2)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_make_runs_server_is_served_like_production_on_loopback(chromium, tmp_path):
    port = _free_port()
    env = embedded_env(tmp_path, port)
    log = tmp_path / "serve.log"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
    )
    server = start_serve(env, log)
    try:
        assert "(DEBUG off)" in log.read_text()
        # A media relay runs inside the server (no broker, nothing else installed).
        deadline = time.monotonic() + 10
        while True:
            health_url = f"http://127.0.0.1:{port}/healthz"
            with urllib.request.urlopen(health_url, timeout=5) as response:  # noqa: S310
                relay = json.load(response)["relay"]
            if relay["available"] or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert relay == {"available": True, "workers": 1, "sessions": 0}
        context = chromium.new_context(base_url=f"http://127.0.0.1:{port}")
        context.set_default_timeout(15_000)
        page = context.new_page()
        failed = []
        page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
        first = page.goto("/")
        assert "strict-transport-security" not in first.all_headers()
        expect(page).to_have_url(re.compile(rf"^http://127\.0\.0\.1:{port}/setup/$"))
        page.get_by_label("Company name").fill("Northwind Trading")
        page.get_by_label("Your first name").fill("Alice")
        page.get_by_label("Your last name").fill("Fernandez")
        page.get_by_label("Your email address").fill("alice@northwind.example")
        page.get_by_label("Password*", exact=True).fill(PASSPHRASE)
        page.get_by_label("Password (again)*").fill(PASSPHRASE)
        page.get_by_role("button", name="Create company and sign in").click()
        expect(page.get_by_role("heading", name="Welcome, Alice")).to_be_visible()
        expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
        # Styled from the collected, hashed static files; the icon is there; nothing failed.
        assert page.evaluate("getComputedStyle(document.body).display") == "flex"
        assert failed == []
        session = next(c for c in context.cookies() if c["name"] == "sessionid")
        assert session["secure"] is False

        # A wrong address: our page, not Django's technical one listing every URL.
        response = page.goto("/no-such-page/")
        assert response.status == 404
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
        assert "URLconf" not in page.content()

        key_file = tmp_path / "var" / "secret-key"
        key = key_file.read_text()
        assert len(key.strip()) >= 50 and stat.S_IMODE(key_file.stat().st_mode) == 0o600

        # The port is taken: a second server says so in words.
        second = subprocess.run(
            [sys.executable, "manage.py", "serve"],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode != 0
        assert f"Port {port} on 127.0.0.1 is in use" in second.stderr

        # Restarted, the same key is read again: Alice is still signed in.
        stop(server)
        server = start_serve(env, log)
        page.goto("/")
        expect(page.get_by_role("heading", name="Welcome, Alice")).to_be_visible()
        assert key_file.read_text() == key
        context.close()
    finally:
        stop(server)
