"""The one rule for reading phone numbers (uc_web.lib.phones), used by the profile, the
company page, the contact form, the importer, the API and search."""

import pytest
from django.core.exceptions import ValidationError

from uc_web.lib import phones


@pytest.mark.parametrize(
    ("typed", "country", "e164"),
    [
        ("020 7946 0018", "GB", "+442079460018"),
        ("(020) 7946 0018", "GB", "+442079460018"),
        ("07911 123456", "GB", "+447911123456"),
        ("(202) 555-0143", "US", "+12025550143"),
        ("030 901820", "DE", "+4930901820"),
        ("0171 2345678", "DE", "+491712345678"),  # a German mobile
        ("089 1234567", "DE", "+49891234567"),  # Munich
        ("01 5123456", "AT", "+4315123456"),  # Vienna
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("03-1234-5678", "JP", "+81312345678"),
        ("0412 345 678", "AU", "+61412345678"),
        ("011 2345 6789", "IN", "+911123456789"),
        ("+44 20 7946 0018", "US", "+442079460018"),  # an international number wins
        ("+61 2 9374 4000", "", "+61293744000"),
        ("tel:+234-803-123-4567", "", "+2348031234567"),
    ],
)
def test_numbers_are_read_with_the_dialling_country_and_stored_as_e164(typed, country, e164):
    reading = phones.read(typed, country)
    assert reading.valid and reading.e164 == e164 == reading.stored
    assert phones.to_e164(typed, country=country) == e164


@pytest.mark.parametrize(
    ("typed", "country"),
    [
        ("0044 20 7946 0958", "GB"),  # Europe's 00
        ("0044 20 7946 0958", "US"),  # 00 typed by someone whose own prefix is 011
        ("0044 20 7946 0958", "AU"),  # ... or 0011
        ("011 44 20 7946 0958", "US"),  # North America's own prefix
        ("0011 44 20 7946 0958", "AU"),  # Australia's
    ],
)
def test_international_prefixes_are_those_of_the_country_and_00_is_understood_anywhere(
    typed, country
):
    assert phones.read(typed, country).e164 == "+442079460958"


@pytest.mark.parametrize(
    ("typed", "number", "post_dial"),
    [
        ("+44 20 7946 0958,,1234#", "+442079460958", ",,1234#"),  # pauses, then DTMF
        ("+44 20 7946 0958 p123", "+442079460958", "123"),  # one pause: an extension
        ("+44 20 7946 0958,123", "+442079460958", "123"),
        ("+44 20 7946 0958 w22", "+442079460958", ";22"),  # wait for the user, then keys
        ("+44 20 7946 0958;22#", "+442079460958", ";22#"),
        ("+44 20 7946 0958 ext. 12", "+442079460958", "12"),
        ("tel:+44-20-7946-0958;ext=102", "+442079460958", "102"),
    ],
)
def test_pause_and_wait_characters_start_the_keys_sent_after_connecting(typed, number, post_dial):
    reading = phones.read(typed, "GB")
    assert (reading.e164, reading.post_dial, reading.valid) == (number, post_dial, True)


def test_letters_of_a_vanity_number_are_not_pauses():
    assert phones.read("1-800-FLOWERS", "US").e164 == "+18003569377"


def test_a_number_without_country_code_and_no_country_is_not_guessed():
    with pytest.raises(phones.CountryNeeded):
        phones.read("089 1234567", "")
    with pytest.raises(ValidationError, match="country code"):
        phones.to_e164("020 7946 0018", country="")


def test_a_number_not_valid_for_the_country_is_kept_as_typed_and_unverified():
    # Austria's 01 5123456 read as British would be +44015123456, not even valid E.164.
    reading = phones.read("01 5123456", "GB")
    assert not reading.valid and reading.stored == "01 5123456"
    assert reading.search_key == "015123456"
    # Typed with its country code: kept as + and digits.
    assert phones.read("+234 1 271 0000", "").stored == "+23412710000"


@pytest.mark.parametrize("typed", ["call me maybe", "", "12", "+", "x" * 80])
def test_text_that_is_not_a_phone_number_is_refused(typed):
    with pytest.raises(phones.NotAPhoneNumber):
        phones.read(typed, "GB")


@pytest.mark.parametrize("typed", ["12345", "020 7946", "not a number", "+44 12"])
def test_the_strict_form_refuses_what_is_not_a_valid_number(typed):
    with pytest.raises(ValidationError):
        phones.to_e164(typed, country="GB")


def test_numbers_show_national_for_the_viewers_country_and_international_otherwise():
    assert phones.display("+442079460018", "GB") == "020 7946 0018"
    assert phones.display("+442079460018", "FR") == "+44 20 7946 0018"
    assert phones.display("+442079460018", "") == "+44 20 7946 0018"
    assert phones.display("01 5123456", "GB") == "01 5123456"  # unverified: as typed
    assert phones.international("") == ""


def test_search_key_holds_international_and_national_digits():
    assert phones.search_key("+442079460018") == "442079460018 02079460018"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("+44 20 7946 0018", ["442079460018"]),
        ("020-7946-0018", ["02079460018", "442079460018"]),
        ("79460018", ["79460018"]),
        ("alice", []),
        ("12", []),
    ],
)
def test_phone_queries_in_any_format_give_digit_variants(query, expected):
    assert phones.query_variants(query, "GB") == expected
