"""Two-factor sign-in in Chromium: an authenticator app whose codes the test computes, and
a security key that is Chromium's virtual authenticator (DevTools' WebAuthn domain)."""

import re
import time

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from accounts.models import AuditEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def require_mfa(company) -> None:
    company.mfa_required = True
    company.save(update_fields=["mfa_required"])


def enter_password(page, user, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email*", exact=True).fill(user.email)
    page.get_by_label("Password*", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def confirm_password_if_asked(page, password: str, ready) -> None:
    """allauth asks for the password again before adding a second factor, unless the
    sign-in was moments ago; then `ready` (a locator of the wanted page) shows."""
    confirm = page.get_by_role("heading", name="Confirm Access")
    expect(ready.or_(confirm)).to_be_visible()
    if confirm.is_visible():
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Confirm").click()
    # Turbo follows the redirect, then loads the two-factor page again in full (its
    # scripts need a full load): two page loads, so the fixture's action timeout.
    expect(ready).to_be_visible(timeout=10_000)
    page.wait_for_load_state("load")  # allauth's scripts start at DOMContentLoaded


def sign_out(page) -> None:
    page.goto("/accounts/logout/")
    page.get_by_role("button", name="Sign Out").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))


def fresh_code(secret: str, used: str = "") -> str:
    """The authenticator app's code now, not one about to expire (allauth accepts only the
    current 30-second step) and not one used already (allauth refuses a code twice)."""
    totp = pyotp.TOTP(secret)
    while True:
        if 30 - time.time() % 30 < 4:
            time.sleep(30 - time.time() % 30 + 0.2)
        code = totp.now()
        if code != used:
            return code
        time.sleep(1)


def test_alice_is_made_to_set_up_an_authenticator_app_then_signs_in_with_its_code(
    new_page, alice, password, company
):
    require_mfa(company)
    page = new_page("/accounts/login/")
    enter_password(page, alice, password)
    # Sent to set up a second factor before anything else, the admin site included.
    expect(page.get_by_text("Your company requires two-factor sign-in")).to_be_visible()
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/$"))

    page.get_by_role("link", name="Activate").click()
    confirm_password_if_asked(page, password, page.get_by_label("Authenticator secret"))
    secret = page.get_by_label("Authenticator secret").input_value()
    used = fresh_code(secret)
    page.get_by_label("Authenticator code").fill(used)
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()
    assert Authenticator.objects.filter(user=alice, type="totp").exists()

    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()

    sign_out(page)
    enter_password(page, alice, password)
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    page.get_by_label("Code").fill("123456" if used != "123456" else "654321")
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_text("Incorrect code.")).to_be_visible()
    page.get_by_label("Code").fill(fresh_code(secret, used))
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    kinds = set(AuditEvent.objects.filter(subject=alice).values_list("kind", flat=True))
    assert {"mfa_added", "signed_in", "sign_in_failed"} <= kinds


def test_bob_adds_a_security_key_and_signs_in_with_it(new_page, daphne_server, bob, password):
    # WebAuthn needs a secure context whose host is a domain: http://localhost, not an IP.
    page = new_page(
        "/accounts/login/", base_url=daphne_server.url.replace("127.0.0.1", "localhost")
    )
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    authenticator_id = devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )["authenticatorId"]

    enter_password(page, bob, password)
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    page.goto("/accounts/2fa/webauthn/add/")
    confirm_password_if_asked(page, password, page.get_by_label("Name"))
    page.get_by_label("Name").fill("Bob's laptop")
    page.get_by_role("main").get_by_role("button", name="Add").click()
    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()
    key = Authenticator.objects.get(user=bob, type="webauthn")
    credentials = devtools.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert len(credentials["credentials"]) == 1

    sign_out(page)
    enter_password(page, bob, password)
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    page.wait_for_load_state("load")
    page.get_by_role("button", name="Use a security key").click()
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert AuditEvent.objects.filter(subject=bob, kind="mfa_added", detail="security key").exists()
