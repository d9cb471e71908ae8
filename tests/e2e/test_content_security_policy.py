"""The Content-Security-Policy in Chromium: no page of ours breaks it (every page's scripts
run and nothing is refused), and an injected inline script is refused and reported."""

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import make_pages
from tests.fixtures.live import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REFUSED = re.compile(r"Content Security Policy|Refused to", re.IGNORECASE)


def watch_violations(page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if REFUSED.search(m.text) else None)
    return found


def test_no_page_breaks_the_policy(new_page, alice, bob, charlie, password):
    pages = make_pages(alice, bob, charlie)
    page = new_page("/accounts/login/")
    found = watch_violations(page)
    for path in pages.anonymous:
        page.goto(path)
        page.wait_for_load_state("networkidle")
    sign_in(page, alice, password)
    for path in [*pages.signed_in, f"/admin/accounts/user/{bob.pk}/change/", "/admin/"]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
    # The API's interactive documentation runs its script from a file of its own.
    with page.expect_response(lambda r: "/api/schema/" in r.url, timeout=60_000):
        page.goto("/api/docs/")  # the schema is generated on request: seconds on a busy machine
    expect(page.get_by_role("heading", name=re.compile("UC Web API"))).to_be_visible()
    assert found == []


def test_an_injected_inline_script_is_refused_and_reported(
    new_page, daphne_server, alice, password
):
    page = new_page("/accounts/login/")
    found = watch_violations(page)
    sign_in(page, alice, password)
    # What an HTML injection would do: add an inline script to the page.
    page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.injected = true;";
                   document.body.append(s); }"""
    )
    assert page.evaluate("window.injected") is None
    log = Path(daphne_server.log.name)
    deadline = time.monotonic() + 10
    while "CSP violation" not in log.read_text(errors="replace"):
        assert time.monotonic() < deadline, "the violation was not reported"
        time.sleep(0.2)
    assert any("inline script" in text for text in found)
