"""The first visit to a new installation, then the forgotten-password round trip."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "A-brand-new-passphrase-77"


def test_first_run_setup_then_password_reset_then_sign_in_goes_live(new_page, daphne_server):
    page = new_page("/")
    # No company yet: every page leads to setup.
    expect(page).to_have_url(re.compile(r"/setup/$"))
    page.get_by_label("Company name").fill("Northwind Trading")
    page.get_by_label("Your first name").fill("Alice")
    page.get_by_label("Your last name").fill("Fernandez")
    page.get_by_label("Your email address").fill("alice@northwind.example")
    page.get_by_label("Password*", exact=True).fill("First-passphrase-2026")
    page.get_by_label("Password (again)*").fill("First-passphrase-2026")
    page.get_by_role("button", name="Create company and sign in").click()

    expect(page.get_by_role("heading", name="Welcome, Alice")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()

    page.get_by_role("button", name="Alice").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    page.get_by_role("link", name="Forgot your password?").click()
    daphne_server.clear_mails()
    page.get_by_label("Email*", exact=True).fill("alice@northwind.example")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    mails = daphne_server.mails()
    assert len(mails) == 1 and "alice@northwind.example" in mails[0]
    link = re.search(r"http://[^\s]+/accounts/password/reset/key/[^\s]+", mails[0]).group(0)
    page.goto(link)
    page.get_by_label("New Password*", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New Password (again)*").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()

    # The link worked once; a second use is refused in words.
    page.goto(link)
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()

    page.goto("/accounts/login/")
    page.get_by_label("Email*", exact=True).fill("alice@northwind.example")
    page.get_by_label("Password*", exact=True).fill("First-passphrase-2026")
    page.get_by_role("button", name="Sign in").click()
    expect(
        page.get_by_text("The email address and/or password you specified are not correct.")
    ).to_be_visible()

    page.get_by_label("Password*", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Welcome, Alice")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
