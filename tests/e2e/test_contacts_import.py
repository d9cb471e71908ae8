"""Imports in a real browser: a German Outlook export lands field by field without touching
the mapping; a file whose numbers have no country, imported by someone without a dialling
country, asks for it first and then stores +49 numbers."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from contacts.models import Contact
from tests.fixtures.live import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIXTURES = Path(__file__).parent.parent / "contacts" / "fixtures"


def upload(page, name: str) -> None:
    page.get_by_role("link", name="Contacts", exact=True).click()
    page.get_by_role("link", name="Import contacts").click()
    page.get_by_label("Address book file").set_input_files(str(FIXTURES / name))
    page.get_by_role("button", name="Upload and preview").click()


def finish(page) -> None:
    page.get_by_role("button", name="Start import").click()
    expect(page.get_by_role("progressbar", name="Import progress")).to_have_attribute(
        "aria-valuenow", "100"
    )
    expect(page.get_by_role("heading", name="Report")).to_be_visible()


def test_a_german_outlook_export_imports_field_by_field_without_touching_the_mapping(
    new_page, alice, password
):
    page = new_page("/accounts/login/")
    sign_in(page, alice, password)
    upload(page, "outlook_de.csv")
    expect(page.get_by_text("Detected format:")).to_contain_text("Outlook CSV")
    expect(page.get_by_text("Column names in")).to_contain_text("Deutsch")
    preview = page.get_by_role("table", name="Preview")
    expect(preview.get_by_role("cell", name="Jürgen Karl Müller")).to_be_visible()
    # Numbers as they will be stored: German, from the row's Land geschäftlich.
    expect(preview).to_contain_text("+49 89 1234567")
    finish(page)
    expect(page.get_by_text("Columns that held values but were not imported:")).to_contain_text(
        "E-Mail-Typ"
    )
    expect(page.get_by_role("table")).to_have_count(0)  # nothing rejected, nothing to list

    page.get_by_role("link", name="Open Personal").click()
    page.get_by_role("link", name="Jürgen Karl Müller").click()
    expect(page.get_by_role("heading", name="Jürgen Karl Müller")).to_be_visible()
    expect(page.get_by_text("Leiter Einkauf · Müller & Söhne GmbH · Einkauf")).to_be_visible()
    details = page.locator("dl")

    def field(term: str):
        return details.locator("dt", has_text=term).locator("xpath=following-sibling::dd[1]")

    expect(field("Full name")).to_have_text("Dr. Jürgen Karl Müller")
    phones = field("Phone numbers")
    for text in (
        "Work fax +49 89 1234568",
        "Work +49 89 1234567",
        "Home +43 1 5123456",
        "Mobile +49 171 2345678",
        "Pager +49 171 9876543",
    ):
        expect(phones).to_contain_text(text)
    expect(phones).not_to_contain_text("unverified")
    expect(field("Email")).to_contain_text("j.mueller@mueller-soehne.example")
    expect(field("Email")).to_contain_text("juergen@privat.example")
    work = details.locator("dt", has_text="Address").filter(has_text="Work")
    for line in ("Leopoldstraße 12", "80802 München, Bayern", "Deutschland"):
        expect(work.locator("xpath=following-sibling::dd[1]")).to_contain_text(line)
    home = details.locator("dt", has_text="Address").filter(has_text="Home")
    expect(home.locator("xpath=following-sibling::dd[1]")).to_contain_text("1010 Wien")
    expect(field("Birthday")).to_have_text("1980-12-31")
    expect(field("Anniversary")).to_have_text("2005-06-20")
    expect(field("Web pages")).to_have_text("https://mueller-soehne.example/")
    related = field("Related people")
    for text in ("assistant Petra Schmidt", "manager Anna Weber", "spouse Maria Müller"):
        expect(related).to_contain_text(text)
    expect(field("Groups").get_by_role("link", name="Kunden")).to_be_visible()
    expect(field("Groups").get_by_role("link", name="VIP")).to_be_visible()
    expect(field("Notes")).to_contain_text("Bevorzugt Anrufe am Vormittag.")
    expect(field("Notes")).to_contain_text("Spricht Deutsch und Englisch.")

    # The group lists its members in the book.
    field("Groups").get_by_role("link", name="Kunden").click()
    groups = page.get_by_role("navigation", name="Groups")
    expect(groups.get_by_role("link", name="Kunden (1)")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("link", name="Jürgen Karl Müller")).to_be_visible()
    expect(page.get_by_role("link", name="Sabine Schäfer")).to_have_count(0)


def test_without_a_dialling_country_the_import_asks_for_it_and_stores_plus_49(
    new_page, charlie, password
):
    # Charlie's company sets no dialling country, nor does his profile, nor the file.
    page = new_page("/accounts/login/")
    sign_in(page, charlie, password)
    upload(page, "outlook_de_no_country.csv")
    expect(page.get_by_role("alert")).to_contain_text("Choose the country they belong to")
    country = page.get_by_label("Country of numbers without a country code")
    expect(country).to_have_value("")
    preview = page.get_by_role("table", name="Preview")
    expect(preview).to_contain_text("phone number “030 9012345” has no country code")

    # Starting without a country is refused by the page; nothing is written.
    page.get_by_role("button", name="Start import").click()
    expect(page.get_by_role("button", name="Start import")).to_be_visible()
    assert not Contact.objects.filter(owner=charlie).exists()

    country.select_option(label="Germany")
    page.get_by_role("button", name="Update preview").click()
    expect(preview).to_contain_text("+49 30 9012345")
    expect(preview).not_to_contain_text("has no country code")
    expect(page.get_by_label("Country of numbers without a country code")).to_have_value("DE")
    finish(page)
    page.get_by_role("link", name="Open Personal").click()
    page.get_by_role("link", name="Klaus Becker").click()
    phones = page.locator("dt", has_text="Phone numbers").locator("xpath=following-sibling::dd[1]")
    expect(phones).to_contain_text("+49 30 9012345")
    expect(phones).to_contain_text("+49 160 1234567")
    klaus = Contact.objects.get(owner=charlie, given_name="Klaus")
    assert sorted(klaus.phones.values_list("number", flat=True)) == [
        "+491601234567",
        "+49309012345",
    ]
