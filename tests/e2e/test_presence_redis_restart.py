"""Redis restarted under the app: the Online Monitor converges again, with no reload."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_presence import WIDE, monitor_entry
from tests.fixtures.live import sign_in, start_daphne, stop_daphne
from tests.fixtures.redis_server import PrivateRedis

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def test_presence_converges_after_redis_restarts(
    chromium, private_redis, tmp_path, alice, bob, password
):
    server = start_daphne(tmp_path, tmp_path, REDIS_URL=private_redis.url)
    contexts = []
    try:

        def open_page():
            context = chromium.new_context(base_url=server.url, **WIDE)
            context.set_default_timeout(10_000)
            contexts.append(context)
            return context.new_page()

        alices, bobs = open_page(), open_page()
        sign_in(alices, alice, password)
        sign_in(bobs, bob, password)
        expect(monitor_entry(alices, "Bob Okafor")).to_contain_text("Online")

        private_redis.stop()
        alices.wait_for_timeout(1500)  # the server notices: its pub/sub reads fail
        private_redis.start()  # empty: every presence key, subscription and epoch is gone

        # No reload: the next heartbeats (every 20 s) see a new epoch, register both tabs
        # again and have the pages reload their snapshots.
        bobs.get_by_label("My status").select_option(label="Busy")
        expect(monitor_entry(alices, "Bob Okafor")).to_contain_text("Busy", timeout=60_000)
        bobs.get_by_label("My status").select_option(label="Online (automatic)")
        expect(monitor_entry(alices, "Bob Okafor")).to_contain_text("Online")
    finally:
        for context in contexts:
            context.close()
        stop_daphne(server)
