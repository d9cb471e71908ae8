"""A user's profile in the browser: a photo that shows in the navbar, and their time zone."""

import re
import zoneinfo

import pytest
from django.utils import dateformat
from playwright.sync_api import expect

from accounts.models import User
from tests.accounts import images
from tests.fixtures.live import sign_in, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_photo_upload_shows_in_the_navbar_and_times_follow_the_time_zone(new_page, alice, password):
    page = new_page("/accounts/login/")
    sign_in(page, alice.email, password)
    expect(page.get_by_role("heading", name="Welcome, Alice")).to_be_visible()

    page.get_by_role("button", name="Alice").click()
    page.get_by_role("link", name="Profile", exact=True).click()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()

    page.get_by_label("New photo").set_input_files(
        files=[
            {
                "name": "holiday.jpg",
                "mimeType": "image/jpeg",
                "buffer": images.jpeg((600, 400), gps=True),
            }
        ]
    )
    expect(page.get_by_role("img", name="Preview of the new photo")).to_be_visible()
    page.get_by_role("button", name="Upload photo").click()
    expect(page.get_by_text("Your new photo is saved.")).to_be_visible()

    navbar_photo = page.get_by_role("navigation", name="Main").get_by_role(
        "img", name="Photo of Alice Fernandez"
    )
    expect(navbar_photo).to_be_visible()
    expect(navbar_photo).to_have_attribute(
        "src", re.compile(r"/people/[0-9A-Za-z]{22}/photo-small\.webp")
    )
    wait_until(page, "document.querySelector('#user-menu img')?.naturalWidth === 64")

    # The same photo on every page, served only to signed-in colleagues.
    page.goto("/")
    expect(navbar_photo).to_be_visible()

    page.goto("/profile/")
    # a searchable list, loaded when opened: type part of the name, Enter takes the match
    page.get_by_role("combobox", name="Time zone").focus()
    page.keyboard.type("Kathm")
    expect(
        page.get_by_role("listbox", name="Time zone").get_by_role("option", name="Asia/Kathmandu")
    ).to_be_visible()
    page.keyboard.press("Enter")
    page.get_by_label("Date and time format").select_option("iso")
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_text("Your preferences are saved.")).to_be_visible()

    last_login = User.objects.get(pk=alice.pk).last_login
    in_kathmandu = last_login.astimezone(zoneinfo.ZoneInfo("Asia/Kathmandu"))
    shown = dateformat.format(in_kathmandu, "Y-m-d H:i T")
    assert shown.endswith("+0545")
    expect(page.get_by_text(f"Last signed in: {shown}")).to_be_visible()
    expect(page.locator("#active-time-zone")).to_have_text("Asia/Kathmandu")


def test_bob_finds_his_market_by_typing_and_alice_sets_the_logo(new_page, alice, bob, password):
    from accounts.models import Profile, Region

    Region.objects.create(kind="market", company=alice.company, name="UK retail")

    page = new_page("/accounts/login/")
    sign_in(page, bob.email, password)
    page.goto("/profile/")
    page.get_by_role("combobox", name="Regions and markets").focus()
    found = page.get_by_role("listbox", name="Regions and markets").get_by_role("option")
    page.keyboard.type("retail")
    expect(found).to_have_text(["UK retail"])
    page.keyboard.press("Enter")
    page.keyboard.type("portu")
    expect(found).to_have_text(["Portugal"])
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Save regions").click()
    expect(page.get_by_text("Your regions are saved.")).to_be_visible()
    assert sorted(r.name for r in Profile.objects.get(user=bob).regions.all()) == [
        "Portugal",
        "UK retail",
    ]
    # The page ships the chosen regions only, not every country (nor every time zone).
    html = page.request.get("/profile/").text()
    assert html.count("<option") < 40

    admin = new_page("/accounts/login/")
    sign_in(admin, alice.email, password)
    admin.get_by_role("button", name="Alice").click()
    admin.get_by_role("link", name="Company profile").click()
    admin.get_by_label("New logo").set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": images.png((400, 100))}]
    )
    admin.get_by_role("button", name="Upload logo").click()
    expect(admin.get_by_text("The company profile is saved.")).to_be_visible()

    # Bob's shell shows his company's logo on the next page he opens.
    page.goto("/")
    logo = page.get_by_role("navigation", name="Main").get_by_role(
        "img", name="Northwind Trading logo"
    )
    expect(logo).to_be_visible()
