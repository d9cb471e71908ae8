"""Address books in a real browser: a book, a contact, an import with live progress, search,
delete and undo."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.fixtures.live import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VCARD = Path(__file__).parent.parent / "contacts" / "fixtures" / "android_export_v21.vcf"


def test_book_contact_import_search_and_delete(new_page, alice, password):
    page = new_page("/accounts/login/")
    sign_in(page, alice, password)
    page.get_by_role("link", name="Contacts", exact=True).click()
    expect(page.get_by_role("heading", name="Personal")).to_be_visible()

    # A new book
    page.get_by_label("New address book").fill("Suppliers")
    page.get_by_role("button", name="Add book").click()
    expect(page.get_by_role("heading", name="Suppliers")).to_be_visible()

    # A contact with a GB national number, shown normalised
    page.get_by_role("link", name="Add contact").click()
    page.get_by_label("First name").fill("James")
    page.get_by_label("Last name").fill("O'Neill")
    expect(page.get_by_label("Address book")).to_have_value(re.compile(r"\d+"))
    page.get_by_label("Phone 1", exact=True).fill("020 7946 0018")
    page.get_by_role("button", name="Save contact").click()
    expect(page.get_by_role("heading", name="James O'Neill")).to_be_visible()
    expect(page.get_by_text("+44 20 7946 0018")).to_be_visible()
    expect(page.get_by_role("button", name="Call")).to_be_disabled()

    # Import a vCard into Suppliers, with the progress bar reaching 100% and a report
    page.get_by_role("link", name="Contacts", exact=True).click()
    page.get_by_role("link", name="Import contacts").click()
    page.get_by_label("Address book file").set_input_files(str(VCARD))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_text("Detected format:")).to_contain_text("vCard")
    expect(page.get_by_role("cell", name="Łukasz Kowalski")).to_be_visible()
    page.get_by_label("Import into").select_option(label="Suppliers")
    page.get_by_role("button", name="Start import").click()
    progress = page.get_by_role("progressbar", name="Import progress")
    expect(progress).to_have_attribute("aria-valuenow", "100")
    expect(page.get_by_role("heading", name="Report")).to_be_visible()
    report = page.get_by_role("table")
    expect(report).to_contain_text("the card has no END:VCARD line")
    expect(report.get_by_role("cell", name="17", exact=True)).to_be_visible()

    # Search as you type by a fragment of the imported phone number
    page.get_by_role("link", name="Open Suppliers").click()
    page.get_by_role("searchbox", name="Search contacts").fill("601 234")
    results = page.get_by_role("region", name="Search results")
    expect(results.get_by_role("link", name="Łukasz Kowalski")).to_be_visible()
    expect(results.get_by_role("link", name="James O'Neill")).to_have_count(0)

    # Delete it, with an undo on the way
    results.get_by_role("link", name="Łukasz Kowalski").click()
    page.get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Move to trash").click()
    expect(page.get_by_text("“Łukasz Kowalski” was moved to the trash.")).to_be_visible()
    expect(page.get_by_role("button", name="Undo")).to_be_visible()
    page.get_by_role("searchbox", name="Search contacts").fill("601 234")
    expect(results).to_contain_text("No contacts match.")
