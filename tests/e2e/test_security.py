"""Security pages in the browser: API tokens (issue 11)."""

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.fixtures.live import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def api_me(server_url: str, key: str) -> int:
    request = urllib.request.Request(  # noqa: S310 - our own test server
        server_url + "/api/v1/me/", headers={"Authorization": f"Token {key}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return json.load(response)["email"]
    except urllib.error.HTTPError as error:
        return error.code


def test_bob_makes_a_token_sees_it_once_uses_it_and_revokes_it(
    new_page, daphne_server, bob, password
):
    page = new_page("/accounts/login/")
    sign_in(page, bob, password)
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name="Bob").click()
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
    expect(page.get_by_text("You have no API tokens.")).to_be_visible()

    page.get_by_label("Name").fill("Nightly export")
    page.get_by_role("button", name="Create token").click()
    key_box = page.get_by_label("New token")
    expect(key_box).to_be_visible()
    key = key_box.input_value()
    assert key.startswith("uct_")
    # Made in place: the same document, so the live connection stayed up.
    assert page.evaluate("window.__sameDocument") is True
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("")

    assert api_me(daphne_server.url, key) == bob.email
    page.reload()
    expect(page.get_by_label("New token")).to_have_count(0)
    assert key not in page.content()
    expect(page.get_by_text("Nightly export")).to_be_visible()
    expect(page.get_by_text("last used")).to_be_visible()

    page.get_by_role("button", name="Revoke the token Nightly export").click()
    expect(page.get_by_text("is revoked: it no longer works")).to_be_visible()
    assert api_me(daphne_server.url, key) == 403
