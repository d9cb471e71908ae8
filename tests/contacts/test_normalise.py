import pytest

from contacts import normalise


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


@pytest.mark.parametrize(
    ("raw", "order", "expected"),
    [
        ("31.12.1980", "dmy", (1980, 12, 31)),  # German, Polish
        ("31.12.1980", "mdy", (1980, 12, 31)),  # dots are day first everywhere
        ("31/12/1980", "dmy", (1980, 12, 31)),  # French, Spanish, Italian
        ("31-12-1980", "dmy", (1980, 12, 31)),  # Dutch
        ("1980-12-31", "dmy", (1980, 12, 31)),  # Swedish, ISO
        ("04/03/1981", "dmy", (1981, 3, 4)),
        ("04/03/1981", "mdy", (1981, 4, 3)),
        ("13/02/1980", "mdy", (1980, 2, 13)),  # only possible day first
        ("14.3.81", "dmy", (1981, 3, 14)),
    ],
)
def test_dates_in_the_exports_locale(raw, order, expected):
    date = normalise.date_parse(raw, order=order)
    assert (date.year, date.month, date.day) == expected


@pytest.mark.parametrize("raw", ["0.0.00", "0/0/00", "00.00.0000", "00/00/00"])
def test_outlooks_empty_dates_in_any_locale_are_no_date(raw):
    assert normalise.date_parse(raw, order="dmy") is None


@pytest.mark.parametrize("raw", ["1981-02-30", "--13-01", "soon"])
def test_impossible_birthdays_are_refused(raw):
    with pytest.raises(ValueError):
        normalise.birthday_parse(raw)
