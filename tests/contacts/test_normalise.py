import pytest

from contacts import normalise


@pytest.mark.parametrize(
    ("raw", "country", "e164"),
    [
        ("020 7946 0018", "GB", "+442079460018"),
        ("(020) 7946 0018", "GB", "+442079460018"),
        ("+44 20 7946 0018", "FR", "+442079460018"),
        ("0044 20 7946 0018", "GB", "+442079460018"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("tel:+234-803-123-4567", "GB", "+2348031234567"),
    ],
)
def test_phone_numbers_become_e164_with_the_given_default_country(raw, country, e164):
    assert normalise.phone_normalise(raw, country).e164 == e164


@pytest.mark.parametrize("raw", ["call me maybe", "", "12", "+", "x" * 80])
def test_text_that_is_not_a_phone_number_is_refused(raw):
    with pytest.raises(normalise.InvalidPhoneNumber):
        normalise.phone_normalise(raw, "GB")


def test_numbers_show_national_for_the_viewers_country_and_international_otherwise():
    assert normalise.phone_display("+442079460018", "GB") == "020 7946 0018"
    assert normalise.phone_display("+442079460018", "FR") == "+44 20 7946 0018"


def test_search_key_holds_international_and_national_digits():
    assert normalise.phone_search_key("+442079460018") == "442079460018 02079460018"


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
    assert normalise.phone_query_variants(query, "GB") == expected


def test_fold_removes_case_and_accents_including_letters_without_decomposition():
    assert normalise.fold("  Zoë  MÉNARD ") == "zoe menard"
    assert normalise.fold("Łukasz Søren") == "lukasz soren"


@pytest.mark.parametrize(
    ("value", "code"),
    [("France", "FR"), ("United Kingdom", "GB"), ("uk", "GB"), ("Deutschland", "DE"), ("fr", "FR")],
)
def test_country_names_and_codes_are_recognised(value, code):
    assert normalise.country_code(value) == code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1981-03-14", normalise.Birthday(1981, 3, 14)),
        ("19810314", normalise.Birthday(1981, 3, 14)),
        ("--0415", normalise.Birthday(None, 4, 15)),
        ("--02-29", normalise.Birthday(None, 2, 29)),
        ("3/14/1981", normalise.Birthday(1981, 3, 14)),
        ("0/0/00", None),
        ("", None),
    ],
)
def test_birthdays_in_every_exported_form(raw, expected):
    assert normalise.birthday_parse(raw) == expected


@pytest.mark.parametrize("raw", ["1981-02-30", "--13-01", "soon"])
def test_impossible_birthdays_are_refused(raw):
    with pytest.raises(ValueError):
        normalise.birthday_parse(raw)
