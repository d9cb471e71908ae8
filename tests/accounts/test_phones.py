"""Phone numbers typed the local way become E.164 with the dialling country."""

import pytest
from django.core.exceptions import ValidationError

from accounts import phones


@pytest.mark.parametrize(
    ("typed", "country", "e164"),
    [
        ("020 7946 0018", "GB", "+442079460018"),
        ("07911 123456", "GB", "+447911123456"),
        ("(202) 555-0143", "US", "+12025550143"),
        ("030 901820", "DE", "+4930901820"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("03-1234-5678", "JP", "+81312345678"),
        ("0412 345 678", "AU", "+61412345678"),
        ("011 2345 6789", "IN", "+911123456789"),
        ("+44 20 7946 0018", "US", "+442079460018"),  # an international number wins
        ("+61 2 9374 4000", "", "+61293744000"),
        ("  ", "GB", ""),
    ],
)
def test_numbers_are_stored_as_e164(typed, country, e164):
    assert phones.to_e164(typed, country=country) == e164


def test_a_local_number_without_a_dialling_country_asks_for_the_country_code():
    with pytest.raises(ValidationError, match="country code"):
        phones.to_e164("020 7946 0018", country="")


@pytest.mark.parametrize("typed", ["12345", "020 7946", "not a number", "+44 12"])
def test_invalid_numbers_are_refused(typed):
    with pytest.raises(ValidationError):
        phones.to_e164(typed, country="GB")


def test_display_formats_for_reading():
    assert phones.display("+442079460018") == "+44 20 7946 0018"
    assert phones.display("") == ""
