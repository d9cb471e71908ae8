"""Parsing the shared fixture files gives what their README says a correct import yields."""

from pathlib import Path

import pytest

from contacts.formats import csvfile, records, sniff, vcard

FIXTURES = Path(__file__).parent / "fixtures"


def read(name: str, default_country: str = "GB") -> list[records.ContactData | records.Rejected]:
    data = (FIXTURES / name).read_bytes()
    sniffed = sniff.sniff(data[:65536], size=len(data))
    text = sniff.decode(data, sniffed.encoding)
    if sniffed.format == sniff.VCARD:
        items = vcard.parse(sniff.decode_vcard(data, sniffed.encoding), charset=sniffed.encoding)
        order = "mdy"
    else:
        rows, _delimiter = csvfile.reader(text)
        detected = csvfile.detect(next(rows))
        items = csvfile.parse(text, detected.mapping)
        order = detected.date_order
    return [
        i
        if isinstance(i, records.Rejected)
        else records.clean(i, default_country, date_order=order)
        for i in items
    ]


def by_name(items: list) -> dict[str, records.ContactData]:
    return {i.display_name: i for i in items if isinstance(i, records.ContactData)}


@pytest.mark.parametrize(
    ("name", "fmt", "encoding", "csv_format"),
    [
        ("outlook_export_cp1252.csv", sniff.CSV, "cp1252", csvfile.OUTLOOK),
        ("google_contacts.csv", sniff.CSV, "utf-8", csvfile.GOOGLE),
        ("thunderbird_utf16.csv", sniff.CSV, "utf-16", csvfile.THUNDERBIRD),
        ("ios_contacts_v3.vcf", sniff.VCARD, "utf-8", None),
        ("android_export_v21.vcf", sniff.VCARD, "utf-8", None),
        ("nextcloud_v4.vcf", sniff.VCARD, "utf-8", None),
    ],
)
def test_each_fixture_is_recognised_with_its_encoding_and_application(
    name, fmt, encoding, csv_format
):
    data = (FIXTURES / name).read_bytes()
    sniffed = sniff.sniff(data[:65536], size=len(data))
    assert (sniffed.format, sniffed.encoding) == (fmt, encoding)
    if csv_format:
        rows, _delimiter = csvfile.reader(sniff.decode(data, encoding))
        assert csvfile.detect(next(rows)).format == csv_format


def test_outlook_export_yields_four_rows_with_countries_from_the_row():
    items = read("outlook_export_cp1252.csv")
    contacts = by_name(items)
    assert list(contacts) == ["Zoë Ménard", "James O'Neill", "Acme Widgets Inc.", "Broken Number"]

    zoe = contacts["Zoë Ménard"]
    assert zoe.company == "Café Lumière SARL"
    assert ("work", "+33142685300", "", "", True) in zoe.phones
    assert (
        "mobile",
        "+33612345678",
        "",
        "",
        True,
    ) in zoe.phones  # French, from Business Country/Region
    assert (zoe.birth_year, zoe.birth_month, zoe.birth_day) == (1981, 3, 14)
    assert zoe.notes == "Prefers calls after 10:00.\nSpeaks French and English."
    assert zoe.line == 2

    james = contacts["James O'Neill"]
    # 01632 960123 is in Ofcom's range for drama, which phonenumbers calls invalid: kept as
    # typed, unverified and reported rather than given a country silently.
    assert [p[1] for p in james.phones] == ["+442079460018", "01632 960123"]
    assert james.unverified == ["01632 960123"]
    assert ("home", "01632 960123", "", "", False) in james.phones
    assert james.birth_month is None  # "0/0/00" means no birthday

    acme = contacts["Acme Widgets Inc."]
    assert acme.company == "Acme Widgets Inc." and not acme.given_name
    assert [p[1] for p in acme.phones] == ["+14155550134"]

    broken = contacts["Broken Number"]
    assert broken.phones == [] and broken.emails == []
    assert len(broken.problems) == 2
    assert "call me maybe" in broken.problems[0] and "not-an-email" in broken.problems[1]
    assert broken.line == 6  # Zoë's note spans two lines


def test_google_export_splits_packed_cells_and_reads_labels_and_yearless_birthdays():
    contacts = by_name(read("google_contacts.csv"))
    aiko = contacts["Aiko Tanaka"]
    assert [e[1] for e in aiko.emails] == ["aiko@sakura.example", "a.tanaka@home.example"]
    assert aiko.groups == ["Clients"]
    assert ("mobile", "+819012345678", "", "", True) in aiko.phones
    assert (
        "work",
        "+81312345678",
        "",
        "",
        True,
    ) in aiko.phones  # Japanese, from the address country
    assert aiko.addresses[0]["city"] == "Chuo-ku" and aiko.addresses[0]["country"] == "Japan"

    muller = contacts["Müller"]
    assert muller.given_name == "Müller" and muller.family_name == ""
    assert (muller.birth_year, muller.birth_month, muller.birth_day) == (None, 2, 29)
    assert muller.notes == 'Only first name known, "quoted" note, with, commas'


def test_thunderbird_utf16_export_joins_the_birthday_columns():
    (soren,) = read("thunderbird_utf16.csv")
    assert soren.display_name == "Søren Kierkegaard"
    assert (soren.birth_year, soren.birth_month, soren.birth_day) == (1813, 5, 5)
    assert ("work", "+4533123456", "", "", True) in soren.phones
    assert ("mobile", "+4520123456", "", "", True) in soren.phones  # Danish, from the row


def test_ios_vcard_reads_grouped_labels_photo_escaped_note_and_fn_only_names():
    contacts = by_name(read("ios_contacts_v3.vcf"))
    ines = contacts["Inês Ferreira"]
    assert ("other", "ines.f@personal.example", "") in ines.emails  # item1 + X-ABLabel Other
    assert ("work", "ines@lisboadesign.example", "") in ines.emails
    assert ines.photo is not None and ines.photo.startswith(b"\x89PNG")
    assert ines.notes == "Met at Web Summit.\nFollow up in Q1, re: rebrand."
    assert ("mobile", "+351912345678", "", "", True) in ines.phones
    chen = contacts["Dr. Chen Wei"]
    assert chen.given_name == "" and chen.family_name == ""
    assert chen.company == "Shenzhen Components Ltd."


def test_android_vcard_21_decodes_quoted_printable_over_a_soft_line_break():
    items = read("android_export_v21.vcf")
    contacts = by_name(items)
    lukasz = contacts["Łukasz Kowalski"]
    assert lukasz.given_name == "Łukasz" and lukasz.family_name == "Kowalski"
    assert lukasz.notes == "Zawód: hydraulik. Dzwonić rano, najlepiej przed ósmą."
    assert ("mobile", "+48601234567", "", "", True) in lukasz.phones
    assert "Phone Only" in contacts
    rejected = [i for i in items if isinstance(i, records.Rejected)]
    assert [(r.line, "END:VCARD" in r.reason) for r in rejected] == [(17, True)]


def test_nextcloud_vcard_4_reads_tel_uris_with_extensions_and_keeps_the_uid():
    (olumide,) = read("nextcloud_v4.vcf")
    assert ("mobile", "+2348031234567", "", "", True) in olumide.phones
    # +234 1 271 0000 is not valid in today's Nigerian plan: kept as written, unverified.
    assert ("work", "+23412710000", "102", "", False) in olumide.phones
    assert olumide.unverified == ["+23412710000"]
    assert (olumide.birth_year, olumide.birth_month, olumide.birth_day) == (None, 4, 15)
    assert olumide.uid == "urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1"
    assert olumide.groups == ["Partners", "Fintech"]


def test_a_csv_without_a_known_header_gets_a_guessed_mapping():
    detected = csvfile.detect(["Full name", "E-mail", "Mobile", "Notes", "Favourite colour"])
    assert detected.format == csvfile.CUSTOM
    assert detected.mapping == ["full_name", "email", "phone:mobile", "notes", ""]


def test_mapping_targets_are_checked():
    assert csvfile.target_is_valid("phone#3:value")
    assert csvfile.target_is_valid("address:work:postal_code")
    assert not csvfile.target_is_valid("is_superuser")


def export_row(**values) -> dict:
    """A contact as contacts.selectors.contact_export_rows gives it to the writers."""
    row = dict.fromkeys(records.TEXT_FIELDS, "")
    row.update(uid="u-1", display_name="", notes="", birthday="", groups=[], emails=[])
    row.update(phones=[], addresses=[], urls=[], dates=[], related=[], ims=[], vcard_extra=[])
    row.update(photo=None)
    row.update(values)
    return row


def test_vcard_writer_output_reads_back_the_same_values():
    row = export_row(
        display_name="Zoë Ménard",
        given_name="Zoë",
        family_name="Ménard",
        company="Café; Lumière, SARL",
        notes="Line one\nLine two, with a comma",
        birthday="--02-29",
        groups=["Suppliers"],
        emails=[("work", "zoe@example.org", "")],
        phones=[
            ("mobile", "+33612345678", "", "", True),
            ("work", "+442079460018", "102", "", True),
        ],
    )
    for version in ("3.0", "4.0"):
        text = "".join(vcard.write([row], version))
        parsed = next(vcard.parse(text))
        data = records.clean(parsed, "GB")
        assert data.display_name == "Zoë Ménard"
        assert data.company == "Café; Lumière, SARL"
        assert data.notes == row["notes"]
        assert (data.birth_year, data.birth_month, data.birth_day) == (None, 2, 29)
        assert data.phones == row["phones"]
        assert data.uid == "u-1"
        assert data.groups == ["Suppliers"]


def test_folded_lines_join_and_bare_commas_stay_in_the_note():
    text = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Rossi;Marta;;;\r\nFN:Marta Rossi\r\n"
        "NOTE:Call after lunch, not before;\r\n  ask for the quote\\, then the\r\n\t invoice.\r\n"
        "TEL;TYPE=CELL:+39 312 345\r\n 6789\r\nEND:VCARD\r\n"
    )
    (parsed,) = vcard.parse(text)
    data = records.clean(parsed, "GB")
    assert data.notes == "Call after lunch, not before; ask for the quote, then the invoice."
    assert data.phones == [("mobile", "+393123456789", "", "", True)]


def test_a_line_that_is_not_a_content_line_is_left_out_and_named_in_the_report():
    text = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Elena Dubois\r\nthis line has no colon\r\n"
        "EMAIL:elena@example.org\r\nEND:VCARD\r\n"
    )
    (parsed,) = vcard.parse(text)
    data = records.clean(parsed, "GB")
    assert data.display_name == "Elena Dubois"
    assert data.emails == [("other", "elena@example.org", "")]
    assert data.problems == ["line 4, which cannot be read"]


def test_a_photo_that_is_not_base64_is_left_out_and_the_card_kept():
    text = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Kofi Okafor\r\nPHOTO;JPEG;BASE64:not*base64!\r\n"
        "END:VCARD\r\n"
    )
    (parsed,) = vcard.parse(text)
    data = records.clean(parsed, "GB")
    assert data.display_name == "Kofi Okafor" and data.photo is None
    assert data.problems == ["PHOTO (its value cannot be decoded)"]


def test_the_unreadable_line_is_numbered_as_in_the_file_after_folds_and_soft_breaks():
    text = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Jonas Jensen\r\n"  # lines 3-5
        "NOTE;ENCODING=QUOTED-PRINTABLE:first half, =\r\nsecond half\r\n"  # 6-7
        "TITLE:Head of\r\n  purchasing\r\n"  # 8-9
        "\r\n"  # 10
        "no colon here\r\nEND:VCARD\r\n"  # 11-12
    )
    (parsed,) = vcard.parse("X-FILE-HEADER:1\r\n\r\n" + text)
    assert parsed.notes == "first half, second half"
    assert parsed.job_title == "Head of purchasing"
    assert parsed.problems == ["line 11, which cannot be read"]
