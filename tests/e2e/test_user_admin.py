"""A company admin invites a colleague in Django admin, then deactivates them."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.fixtures.live import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ERINS_PASSWORD = "Erin-chooses-a-long-passphrase-9"


def test_alice_invites_erin_who_signs_in_and_is_signed_out_when_deactivated(
    new_page, daphne_server, alice, password
):
    admin = new_page("/accounts/login/")
    sign_in(admin, alice.email, password)
    admin.get_by_role("button", name="Alice").click()
    admin.get_by_role("link", name="Company admin").click()
    admin.get_by_role("link", name="Users", exact=True).first.click()
    admin.get_by_role("link", name="Add user").click()

    daphne_server.clear_mails()
    admin.get_by_label("Email address").fill("erin@northwind.example")
    admin.get_by_label("First name").fill("Erin")
    admin.get_by_label("Last name").fill("Walsh")
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.get_by_text("An invitation was sent to erin@northwind.example.")).to_be_visible()

    admin.goto("/admin/accounts/user/?invited=yes")
    expect(admin.get_by_role("row", name=re.compile("erin@northwind.example"))).to_contain_text(
        "invited"
    )

    mails = daphne_server.mails()
    assert len(mails) == 1 and "erin@northwind.example" in mails[0]
    link = re.search(r"http://[^\s]+/join/[^\s]+", mails[0]).group(0)

    # The link speaks of joining: Erin sets a password and is signed in, welcomed.
    erin = new_page(link)
    expect(erin.get_by_role("heading", name="Join Northwind Trading")).to_be_visible()
    erin.get_by_label("Password*", exact=True).fill(ERINS_PASSWORD)
    erin.get_by_label("Password (again)*").fill(ERINS_PASSWORD)
    erin.get_by_role("button", name="Set password and join").click()
    expect(erin.get_by_role("heading", name="Welcome to Northwind Trading, Erin!")).to_be_visible()
    expect(erin.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    assert not User.objects.get(email="erin@northwind.example").is_invited

    admin.goto("/admin/accounts/user/")
    admin.get_by_role("checkbox", name="Select this object for an action - Erin Walsh").check()
    admin.get_by_role("combobox", name="Action").select_option("deactivate")
    admin.get_by_role("button", name="Go").click()
    expect(admin.get_by_text("1 user deactivated.")).to_be_visible()

    # Erin's open tab hears at once that her session ended.
    expect(erin.get_by_role("status").filter(has_text="Signed out")).to_be_visible()
    erin.goto("/")
    expect(erin.get_by_role("heading", name="Sign in")).to_be_visible()
