"""Two colleagues in two browsers: the Online Monitor follows Bob live."""

import pytest
from playwright.sync_api import expect

from tests.fixtures.live import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDE = {"viewport": {"width": 1400, "height": 900}}


def monitor_entry(page, name):
    return page.get_by_role("complementary", name="Online Monitor").locator(
        ".monitor-entry", has_text=name
    )


def test_alice_watches_bob_sign_in_go_busy_and_leave(new_page, alice, bob, password):
    alices = new_page("/accounts/login/", **WIDE)
    sign_in(alices, alice, password)
    expect(monitor_entry(alices, "Bob Okafor")).to_contain_text("Offline")

    bobs = new_page("/accounts/login/", **WIDE)
    sign_in(bobs, bob, password)
    expect(monitor_entry(alices, "Bob Okafor")).to_contain_text("Online")

    bobs.get_by_label("My status").select_option(label="Busy")
    expect(monitor_entry(alices, "Bob Okafor")).to_contain_text("Busy")

    bobs.close()
    expect(monitor_entry(alices, "Bob Okafor")).to_contain_text("Offline")


def test_the_menu_opens_by_button_and_keyboard_with_unbuilt_items_disabled(
    new_page, alice, bob, password
):
    page = new_page("/accounts/login/", **WIDE)
    sign_in(page, alice, password)
    page.get_by_role("button", name="Bob Okafor: Offline. Options").click()
    menu = page.get_by_role("menu", name="Options")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("menuitem", name="Call", exact=True)).to_be_focused()
    expect(menu.get_by_role("menuitem", name="View CRM records")).to_be_disabled()
    expect(menu.get_by_role("menuitem", name="Block")).to_be_enabled()
    page.keyboard.press("ArrowDown")
    expect(menu.get_by_role("menuitem", name="Video call")).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    monitor_entry(page, "Bob Okafor").click(button="right")
    expect(menu).to_be_visible()


def test_on_a_narrow_screen_the_monitor_is_a_page(new_page, alice, bob, password):
    page = new_page("/accounts/login/", viewport={"width": 400, "height": 800})
    sign_in(page, alice, password)
    expect(page.get_by_role("complementary", name="Online Monitor")).to_be_hidden()
    page.get_by_role("button", name="Toggle navigation").click()
    page.get_by_role("link", name="Online Monitor", exact=True).click()
    expect(page.locator(".monitor-entry", has_text="Bob Okafor")).to_contain_text("Offline")


def test_a_contact_request_from_another_company_accepted_in_the_browser_shows_presence(
    new_page, alice, charlie, password
):
    from accounts.models import Profile

    Profile.objects.filter(user=alice).update(directory_visible_outside=True)
    alices = new_page("/accounts/login/", **WIDE)
    sign_in(alices, alice, password)
    charlies = new_page("/accounts/login/", **WIDE)
    sign_in(charlies, charlie, password)

    monitor = charlies.get_by_role("complementary", name="Online Monitor")
    monitor.get_by_label("Add someone by email").fill(alice.email)
    monitor.get_by_label("Message with the contact request").fill("Charlie from Blue Harbour")
    monitor.get_by_role("button", name="Add", exact=True).click()
    expect(monitor.get_by_role("status")).to_contain_text("Contact request sent")
    expect(monitor_entry(charlies, "Alice Fernandez")).to_contain_text("waiting for an answer")

    requests = alices.get_by_role("list", name="Contact requests")
    expect(requests).to_contain_text("Charlie Nguyen")
    expect(requests).to_contain_text("Charlie from Blue Harbour")
    requests.get_by_role("button", name="Accept: Charlie Nguyen").click()
    expect(requests).to_be_hidden()

    expect(monitor_entry(charlies, "Alice Fernandez")).to_contain_text("Online")
    expect(monitor_entry(alices, "Charlie Nguyen")).to_contain_text("Online")
    alices.get_by_label("My status").select_option(label="Busy")
    expect(monitor_entry(charlies, "Alice Fernandez")).to_contain_text("Busy")

    charlies.get_by_role("button", name="Alice Fernandez: Busy. Options").click()
    charlies.get_by_role("menuitem", name="Add to Favourites").click()
    favourites = charlies.get_by_role("list", name="Favourites")
    expect(favourites).to_contain_text("Alice Fernandez")


def test_blocking_from_the_menu_hides_the_person(new_page, alice, bob, password):
    page = new_page("/accounts/login/", **WIDE)
    sign_in(page, alice, password)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Bob Okafor: Offline. Options").click()
    page.get_by_role("menuitem", name="Block").click()
    expect(monitor_entry(page, "Bob Okafor")).to_have_count(0)
    page.goto("/monitor/")
    page.get_by_role("button", name="Unblock Bob Okafor").click()
    expect(
        page.get_by_role("status").filter(has_text="Bob Okafor is no longer blocked")
    ).to_be_visible()
    expect(page.locator(".monitor-entry", has_text="Bob Okafor")).to_contain_text("Offline")


def test_an_address_book_entry_shows_the_linked_colleagues_status_live(
    new_page, alice, bob, password
):
    import re

    from contacts import services as contact_services
    from tests.contacts.factories import ContactFactory

    book = contact_services.book_ensure_default(user=alice)
    ContactFactory(book=book, linked_user=bob, given_name="Bob", family_name="Okafor")
    alices = new_page("/accounts/login/", **WIDE)
    sign_in(alices, alice, password)
    alices.goto("/contacts/")
    icon = alices.locator("[data-contact-id] [data-presence-user]")
    expect(icon).to_have_class(re.compile(r"\bpresence-offline\b"))
    expect(icon).to_have_attribute("title", "Offline")

    bobs = new_page("/accounts/login/", **WIDE)
    sign_in(bobs, bob, password)
    expect(icon).to_have_class(re.compile(r"\bpresence-online\b"))
    bobs.get_by_label("My status").select_option(label="Do not disturb")
    expect(icon).to_have_attribute("title", "Do not disturb")


def test_an_outsider_found_in_the_directory_search_is_asked_with_one_click(
    new_page, alice, charlie, password
):
    from accounts.models import ContactRequest, Profile

    Profile.objects.filter(user=charlie).update(directory_visible_outside=True)
    page = new_page("/accounts/login/", **WIDE)
    sign_in(page, alice, password)
    page.goto("/contacts/")
    page.get_by_label("Search contacts").fill(charlie.email)  # as you type: the script's rows
    # someone of another company is not shown as part of the company directory
    expect(page.get_by_role("heading", name="People in other companies")).to_be_visible()
    expect(page.get_by_role("heading", name="Company directory")).to_have_count(0)
    page.get_by_role("button", name="Add Charlie Nguyen to the Online Monitor").click()
    expect(page.get_by_role("status").filter(has_text="Contact request sent")).to_be_visible()
    expect(page.get_by_text("Contact request sent, waiting for an answer.")).to_be_visible()
    assert ContactRequest.objects.filter(sender=alice, recipient=charlie).exists()
