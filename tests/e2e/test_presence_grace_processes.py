"""The offline grace period across processes: two daphne servers sharing one Redis (a
private redis-server of this test). A tab that closes on one server and comes back on the
other is no flicker; a server killed within the grace still lets the user go offline,
through the periodic sweep of any other process."""

import os
import signal
import subprocess
import sys
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.test_presence import WIDE, monitor_entry
from tests.e2e.test_presence_redis_restart import private_redis  # noqa: F401
from tests.fixtures.live import (
    BASE_DIR,
    _database_url_for_server,
    sign_in,
    start_daphne,
    stop_daphne,
)
from uc_web.lib import publicid

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_PRESENCE = """() => {
  window.presenceEvents = [];
  window.ucLive.on("presence.changed", (e) => window.presenceEvents.push(e));
}"""


def run_sweep(redis_url: str) -> str:
    """The beat's presence sweep, run once by another process (as a Celery worker would)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "uc_web.settings",
        "DATABASE_URL": _database_url_for_server(),
        "REDIS_URL": redis_url,
    }
    code = (
        "import django; django.setup(); "
        "from accounts.tasks import presence_sweep; print(presence_sweep())"
    )
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def two_servers(private_redis, tmp_path):  # noqa: F811
    servers = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        servers.append(start_daphne(tmp_path / name, tmp_path / name, REDIS_URL=private_redis.url))
    yield servers
    for server in servers:
        if server.process.poll() is None:
            stop_daphne(server)


def open_page(chromium, server, contexts):
    context = chromium.new_context(base_url=server.url, **WIDE)
    context.set_default_timeout(10_000)
    contexts.append(context)
    return context.new_page()


def test_a_tab_that_comes_back_on_another_server_within_the_grace_is_no_flicker(
    chromium, two_servers, alice, bob, password
):
    first, second = two_servers
    contexts = []
    try:
        bobs = open_page(chromium, second, contexts)
        sign_in(bobs, bob, password)
        alices = open_page(chromium, first, contexts)
        sign_in(alices, alice, password)
        expect(monitor_entry(bobs, "Alice Fernandez")).to_contain_text("Online")
        bobs.evaluate(RECORD_PRESENCE)

        # Her tab on the first server reloads and, behind a proxy, lands on the second one
        # (the session cookie is for 127.0.0.1 whatever the port).
        again = alices.context.new_page()
        alices.close()
        again.goto(second.url + "/")
        expect(again.get_by_role("status").filter(has_text="Connected")).to_be_visible()
        again.wait_for_timeout(5000)  # past the first server's grace timer (4 s)
        again.get_by_label("My status").select_option(label="Busy")
        expect(monitor_entry(bobs, "Alice Fernandez")).to_contain_text("Busy")
        states = bobs.evaluate(
            f"() => window.presenceEvents.filter((e) => e.user === '{publicid.of(alice)}')"
            ".map((e) => e.state)"
        )
        assert states == ["busy"]
    finally:
        for context in contexts:
            context.close()


def test_a_server_killed_within_the_grace_still_lets_alice_go_offline(
    chromium,
    two_servers,
    private_redis,  # noqa: F811
    alice,
    bob,
    password,
):
    first, second = two_servers
    contexts = []
    try:
        bobs = open_page(chromium, second, contexts)
        sign_in(bobs, bob, password)
        alices = open_page(chromium, first, contexts)
        sign_in(alices, alice, password)
        expect(monitor_entry(bobs, "Alice Fernandez")).to_contain_text("Online")

        alices.close()
        time.sleep(0.5)  # the first server has seen the close (its grace timer is pending)
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=10)
        first.log.close()
        bobs.wait_for_timeout(5000)  # the grace has passed; nobody was there to settle it
        expect(monitor_entry(bobs, "Alice Fernandez")).to_contain_text("Online")
        assert run_sweep(private_redis.url) == "1"
        expect(monitor_entry(bobs, "Alice Fernandez")).to_contain_text("Offline")
    finally:
        for context in contexts:
            context.close()
