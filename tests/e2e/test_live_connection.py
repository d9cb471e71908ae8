"""The live-connection client in a real browser: reconnects, resyncs, notices sign-out."""

import re

import pytest
from playwright.sync_api import expect

from tests.fixtures.live import sign_in, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_dropped_socket_reconnects_and_features_resync(new_page, alice, password):
    page = new_page("/accounts/login/")
    sign_in(page, alice, password)
    page.evaluate(
        """() => { window.resyncs = 0; window.seen = [];
                   window.ucLive.onResync(() => { window.resyncs += 1; });
                   window.ucLive.on("*", (e) => window.seen.push(e.type)); }"""
    )
    wait_until(page, "window.resyncs === 1")
    page.evaluate("() => window.ucLive.socket.close()")
    wait_until(page, "window.resyncs === 2")
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()


def test_signing_out_in_one_tab_signs_out_the_others(new_page, alice, password):
    first = new_page("/accounts/login/")
    sign_in(first, alice, password)
    second = first.context.new_page()
    second.goto("/")
    expect(second.get_by_role("status").filter(has_text="Connected")).to_be_visible()

    first.get_by_role("button", name="Alice").click()
    first.get_by_role("button", name="Sign out").click()

    expect(second.get_by_role("status").filter(has_text="Signed out")).to_be_visible()
    expect(second).to_have_url(re.compile(r"/accounts/login/\?next=(/|%2F)$"))


def change_password(page, old: str, new: str) -> None:
    page.goto("/accounts/password/change/")
    page.get_by_label("Current Password*", exact=True).fill(old)
    page.get_by_label("New Password*", exact=True).fill(new)
    page.get_by_label("New Password (again)*").fill(new)
    page.get_by_role("button", name="Change password").click()


def test_a_password_change_elsewhere_signs_this_browser_out(new_page, bob, password):
    page = new_page("/accounts/login/")
    sign_in(page, bob, password)
    other_browser = new_page("/accounts/login/")
    sign_in(other_browser, bob, password)
    change_password(other_browser, password, "Brand-new-pass-4242")
    expect(page.get_by_role("status").filter(has_text="Signed out")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_the_browser_that_changed_its_password_stays_connected(new_page, bob, password):
    page = new_page("/accounts/login/")
    sign_in(page, bob, password)
    change_password(page, password, "Brand-new-pass-4242")
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    page.wait_for_timeout(2500)  # the server closes the old socket; the client reconnects
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    assert "/accounts/login/" not in page.url
