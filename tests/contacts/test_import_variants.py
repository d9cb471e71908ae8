"""Files shaped like the ones that used to lose data silently (issue 12): Outlook in nine
languages, files without a country, charsets, line endings, groups, escaping and the
properties people keep. Each fixture's note is in fixtures/README.md."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from contacts import importing, selectors, services
from contacts.formats import sniff
from contacts.models import Contact, ContactGroup, ContactImport, ImportMapping
from tests.contacts.conftest import FIXTURES
from uc_web.lib.exceptions import ApplicationError

pytestmark = pytest.mark.django_db(transaction=True)


def run_import(user, upload, *, book=None, duplicates="skip", mapping=None, country=None):
    contact_import = importing.import_upload(owner=user, file=upload)
    book = book or services.book_ensure_default(user=user)
    importing.import_start(
        contact_import=contact_import,
        by=user,
        book=book,
        duplicates=duplicates,
        mapping=mapping,
        country=country,
    )
    contact_import.refresh_from_db()
    return contact_import


def numbers(contact) -> list[tuple[str, str, str, bool]]:
    return [(p.kind, p.number, p.extension, p.verified) for p in contact.phones.all()]


# --- Outlook in the languages it ships in -------------------------------------------------
LANGUAGES = [
    # file, language, encoding, person, company, city, country code, mobile, work, groups
    ("outlook_fr.csv", "fr", "cp1252", "Amélie Dubois", "Café Lumière SARL", "Paris", "33"),
    ("outlook_es.csv", "es", "cp1252", "Lucía García López", "Ibérica Textil S.L.", "Madrid", "34"),
    ("outlook_it.csv", "it", "cp1252", "Giulia Rossi", "Rossi & Figli S.p.A.", "Roma", "39"),
    ("outlook_nl.csv", "nl", "cp1252", "Sanne de Vries", "Van Dijk B.V.", "Amsterdam", "31"),
    ("outlook_pt.csv", "pt", "cp1252", "Inês Ferreira", "Lisboa Design Lda.", "Lisboa", "351"),
    ("outlook_sv.csv", "sv", "utf-8-sig", "Åsa Lindström", "Nordisk Trä AB", "Stockholm", "46"),
    ("outlook_pl.csv", "pl", "cp1250", "Łukasz Wójcik", "Żurawie Sp. z o.o.", "Łódź", "48"),
]


@pytest.mark.parametrize(
    ("name", "language", "encoding", "person", "org", "city", "calling_code"), LANGUAGES
)
def test_outlook_exports_in_each_language_are_recognised_and_every_field_lands(
    alice, fixture_upload, name, language, encoding, person, org, city, calling_code
):
    result = run_import(alice, fixture_upload(name))
    assert (result.format, result.language, result.encoding) == ("outlook", language, encoding)
    assert (result.status, result.imported, result.rejected) == ("done", 1, [])
    contact = Contact.objects.get(owner=alice)
    assert contact.display_name == person
    assert (contact.company, bool(contact.department), bool(contact.job_title)) == (
        org,
        True,
        True,
    )
    (address,) = contact.addresses.all()
    assert (address.kind, address.city) == ("work", city)
    # The row's own country beats the user's British default.
    assert {p.kind for p in contact.phones.all()} == {"mobile", "work"}
    assert all(p.verified and p.number.startswith("+" + calling_code) for p in contact.phones.all())
    assert (contact.birth_year, contact.birth_month, contact.birth_day) == (1981, 3, 14)
    assert contact.dates == [{"label": "anniversary", "value": "2005-06-20"}]
    assert contact.urls == [{"label": "", "value": "https://example.org/"}]
    assert contact.notes == "Line one\nline two"
    assert contact.groups.count() >= 1 and contact.emails.get().address.endswith("@example.org")


def test_a_german_outlook_export_keeps_every_field_in_its_place(alice, fixture_upload):
    result = run_import(alice, fixture_upload("outlook_de.csv"))
    assert (result.format, result.language, result.encoding) == ("outlook", "de", "utf-8-sig")
    assert (result.status, result.imported) == ("done", 3)
    # "0.0.00" is Outlook's German for "no date": not an error on every row.
    assert result.rejected == []
    # E-Mail-Typ ("SMTP") is not an address; it and the other unused columns are listed.
    assert result.ignored_columns == [
        "E-Mail-Typ",
        "E-Mail: angezeigter Name",
        "Priorität",
        "Vertraulichkeit",
    ]
    juergen = Contact.objects.get(given_name="Jürgen")
    assert (juergen.name_prefix, juergen.middle_name, juergen.family_name) == (
        "Dr.",
        "Karl",
        "Müller",
    )
    assert juergen.display_name == "Jürgen Karl Müller"
    assert (juergen.company, juergen.department, juergen.job_title) == (
        "Müller & Söhne GmbH",
        "Einkauf",
        "Leiter Einkauf",
    )
    addresses = {a.kind: a for a in juergen.addresses.all()}
    assert (addresses["work"].street, addresses["work"].city) == ("Leopoldstraße 12", "München")
    assert (addresses["work"].region, addresses["work"].postal_code) == ("Bayern", "80802")
    assert (addresses["home"].city, addresses["home"].country) == ("Wien", "Österreich")
    assert numbers(juergen) == [
        ("fax", "+49891234568", "", True),
        ("work", "+49891234567", "", True),
        ("home", "+4315123456", "", True),
        ("mobile", "+491712345678", "", True),
        ("pager", "+491719876543", "", True),
    ]
    assert (juergen.birth_year, juergen.birth_month, juergen.birth_day) == (1980, 12, 31)
    assert juergen.dates == [{"label": "anniversary", "value": "2005-06-20"}]
    assert sorted(g.name for g in juergen.groups.all()) == ["Kunden", "VIP"]
    assert juergen.related == [
        {"label": "assistant", "value": "Petra Schmidt"},
        {"label": "manager", "value": "Anna Weber"},
        {"label": "spouse", "value": "Maria Müller"},
    ]
    assert juergen.urls == [{"label": "", "value": "https://mueller-soehne.example/"}]
    assert juergen.notes == "Bevorzugt Anrufe am Vormittag.\nSpricht Deutsch und Englisch."
    assert sorted(e.address for e in juergen.emails.all()) == [
        "j.mueller@mueller-soehne.example",
        "juergen@privat.example",
    ]
    sabine = Contact.objects.get(given_name="Sabine")
    assert sabine.birth_month is None and sabine.dates == []
    assert Contact.objects.get(display_name="Stadtwerke Köln").phones.get().number == (
        "+492211234567"
    )
    assert ContactGroup.objects.filter(book__owner=alice).count() == 3


# --- No dialling country anywhere: the import asks ----------------------------------------
def test_without_any_country_the_import_asks_before_writing_and_then_stores_it(
    charlie, fixture_upload
):
    # Charlie's company sets no dialling country, nor does his profile, nor the file.
    contact_import = importing.import_upload(
        owner=charlie, file=fixture_upload("outlook_de_no_country.csv")
    )
    assert (contact_import.country, contact_import.country_source) == ("", "")
    preview = selectors.import_preview(user=charlie, contact_import=contact_import)
    klaus = preview["contacts"][0]
    assert klaus.phones == [] and "has no country code" in klaus.problems[0]
    book = services.book_ensure_default(user=charlie)
    with pytest.raises(ApplicationError) as refused:
        importing.import_start(
            contact_import=contact_import, by=charlie, book=book, duplicates="skip"
        )
    assert refused.value.code == "country_required"
    assert not Contact.objects.exists()
    preview = selectors.import_preview(user=charlie, contact_import=contact_import, country="DE")
    assert preview["contacts"][0].phones[0][1] == "+49309012345"
    importing.import_start(
        contact_import=contact_import, by=charlie, book=book, duplicates="skip", country="DE"
    )
    contact_import.refresh_from_db()
    assert (contact_import.status, contact_import.imported, contact_import.country) == (
        "done",
        2,
        "DE",
    )
    assert numbers(Contact.objects.get(given_name="Klaus")) == [
        ("work", "+49309012345", "", True),
        ("mobile", "+491601234567", "", True),
    ]


def test_without_a_users_country_the_file_shows_it(charlie, fixture_upload):
    # Rows naming Deutschland, and numbers written with +49 or +43.
    contact_import = importing.import_upload(owner=charlie, file=fixture_upload("outlook_de.csv"))
    assert (contact_import.country, contact_import.country_source) == ("DE", "file")


def test_the_companys_country_is_used_when_the_user_has_none(bob, fixture_upload):
    contact_import = importing.import_upload(owner=bob, file=fixture_upload("outlook_fr.csv"))
    assert (contact_import.country, contact_import.country_source) == ("GB", "company")
    bob.profile.dialling_country = "IE"
    bob.profile.save()
    contact_import = importing.import_upload(owner=bob, file=fixture_upload("outlook_fr.csv"))
    assert (contact_import.country, contact_import.country_source) == ("IE", "user")


def test_a_made_up_country_is_refused(charlie, fixture_upload):
    contact_import = importing.import_upload(
        owner=charlie, file=fixture_upload("outlook_de_no_country.csv")
    )
    with pytest.raises(ApplicationError) as refused:
        importing.import_start(
            contact_import=contact_import,
            by=charlie,
            book=services.book_ensure_default(user=charlie),
            duplicates="skip",
            country="XX",
        )
    assert refused.value.code == "invalid_country"


def test_numbers_keep_their_international_prefix_and_keys_after_pauses(alice, fixture_upload):
    alice.profile.dialling_country = "US"  # 011 at home, but 0044 is still understood
    alice.profile.save()
    result = run_import(alice, fixture_upload("international_prefixes_pauses_v3.vcf"))
    holmes = Contact.objects.get(family_name="Holmes")
    assert numbers(holmes) == [
        ("work", "+442079460958", "", True),
        ("home", "+442079460959", "", True),
        ("mobile", "+442079460960", ",,1234#", True),
        ("other", "+442079460961", "22", True),
    ]
    assert holmes.phones.get(number="+442079460961").label == "Baker Street desk"
    watson = Contact.objects.get(family_name="Watson")
    # A German mobile read with a US dialling country is not a US number: kept as typed.
    assert numbers(watson) == [
        ("work", "0171 2345678", "", False),
        ("home", "+12025550143", ";9", True),
    ]
    (report,) = result.rejected
    assert report["name"] == "John Watson" and "0171 2345678" in report["reason"]
    assert "unverified" in report["reason"] and "United States" in report["reason"]


# --- Files with nothing in them -----------------------------------------------------------
def test_a_csv_with_only_a_header_says_it_holds_no_contacts(alice, fixture_upload):
    with pytest.raises(sniff.UnreadableFile, match="no contacts"):
        importing.import_upload(owner=alice, file=fixture_upload("outlook_header_only.csv"))
    assert not ContactImport.objects.exists()


def test_a_vcard_with_no_card_that_can_be_read_fails_with_a_message(alice):
    upload = SimpleUploadedFile("x.vcf", b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Cut off\r\n")
    result = run_import(alice, upload)
    assert result.status == "done" and result.imported == 0
    assert result.rejected[0]["reason"] == "the card has no END:VCARD line"
    empty = SimpleUploadedFile("empty.vcf", b"BEGIN:VCARD\r\nEND:VCARD\r\n")
    result = run_import(alice, empty)
    assert result.imported == 0 and result.rejected[0]["whole"]


# --- Charsets and line endings ------------------------------------------------------------
def test_shift_jis_values_are_decoded_by_their_own_charset(charlie, fixture_upload):
    # No dialling country for Charlie: the file's own address (日本) says Japan.
    result = run_import(charlie, fixture_upload("japanese_shift_jis_v21.vcf"))
    assert (result.country, result.country_source) == ("JP", "file")
    assert (result.status, result.imported, result.rejected) == ("done", 2, [])
    taro = Contact.objects.get(family_name="山田")
    assert (taro.given_name, taro.display_name) == ("太郎", "山田 太郎")
    assert (taro.phonetic_given_name, taro.phonetic_family_name) == ("タロウ", "ヤマダ")
    assert taro.notes == "ソフト開発部"
    assert taro.phones.get().number == "+819012345678"
    hanako = Contact.objects.get(family_name="佐藤")
    assert hanako.addresses.get().city == "東京都"
    assert hanako.phones.get().number == "+81312345678"  # her address says 日本


def test_a_fold_inside_a_utf8_character_is_mended_and_nothing_becomes_windows_1252(
    alice, fixture_upload
):
    data = (FIXTURES / "utf8_folded_inside_character_v3.vcf").read_bytes()
    assert sniff.sniff(data, size=len(data)).encoding == "utf-8"
    result = run_import(alice, fixture_upload("utf8_folded_inside_character_v3.vcf"))
    assert (result.imported, result.rejected) == (4, [])
    names = sorted(Contact.objects.values_list("display_name", flat=True))
    assert names == ["Anneliese Schüßler", "Björn Käßmann", "Jörg Größer", "Jürgen Müller"]
    for note in Contact.objects.values_list("notes", flat=True):
        assert "Rückruf über die Zentrale; Bestellungen für Ü-Wagen" in note and "Ã" not in note


def test_a_value_that_is_not_utf8_in_a_utf8_file_is_read_as_windows_1252_and_reported(alice):
    data = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zoë Ménard\r\n".encode()
    data += b"NOTE:caf\xe9\r\nEND:VCARD\r\n"  # one value in Windows-1252
    result = run_import(alice, SimpleUploadedFile("mixed.vcf", data))
    contact = Contact.objects.get()
    assert (contact.display_name, contact.notes) == ("Zoë Ménard", "café")
    (report,) = result.rejected
    assert "NOTE is not UTF-8 text; it was read as Windows-1252" in report["reason"]


def test_a_csv_cell_that_is_not_utf8_is_read_as_windows_1252_and_reported(alice):
    data = b"First Name,Last Name,E-mail Address,Business Phone\r\n"
    data += "Zoë,Ménard,zoe@example.org,+33 1 42 68 53 00\r\n".encode()
    data += b"Ren\xe9,Arnoux,rene@example.org,+33 1 42 68 53 01\r\n"
    result = run_import(alice, SimpleUploadedFile("mixed.csv", data))
    assert result.encoding == "utf-8"
    assert Contact.objects.filter(given_name="René").exists()
    assert Contact.objects.filter(given_name="Zoë").exists()
    (report,) = result.rejected
    assert report["name"] == "René Arnoux" and "Windows-1252" in report["reason"]


def test_ios_cr_cr_lf_line_endings_keep_folded_photos_and_notes(alice, fixture_upload):
    result = run_import(alice, fixture_upload("ios6_crcrlf_v3.vcf"))
    assert (result.imported, result.rejected) == (1, [])
    kenji = Contact.objects.get()
    assert kenji.notes == (
        "Met at the Tokyo trade fair in 2012, interested in the new catalogue. Call in the "
        "morning, Japan time."
    )
    with default_storage.open(kenji.photo) as handle:
        assert Image.open(handle).size == (256, 256)


# --- Groups -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "group", "members"),
    [
        ("apple_group_cards_v3.vcf", "Engine Club", ["Ada Lovelace", "Charles Babbage"]),
        ("group_kind_v4.vcf", "Lagos team", ["Ngozi Okeke", "Olumide Adeyemi"]),
    ],
)
def test_group_cards_become_groups_of_the_book_with_their_members(
    alice, fixture_upload, name, group, members
):
    result = run_import(alice, fixture_upload(name))
    assert (result.imported, result.groups_created, result.rejected) == (2, 1, [])
    assert not Contact.objects.filter(display_name=group).exists()
    found = ContactGroup.objects.get(book__owner=alice)
    assert found.name == group and found.uid
    assert sorted(found.members.values_list("display_name", flat=True)) == members


def test_a_group_card_whose_members_are_already_in_the_book_groups_them(alice, fixture_upload):
    run_import(alice, fixture_upload("group_kind_v4.vcf"))
    ContactGroup.objects.all().delete()
    result = run_import(alice, fixture_upload("group_kind_v4.vcf"))  # skip: all known
    assert (result.imported, result.skipped, result.groups_created) == (0, 2, 1)
    assert ContactGroup.objects.get().members.count() == 2


# --- Escaping, AGENT, grouped BEGIN -------------------------------------------------------
def test_escaped_backslashes_nested_agents_and_grouped_begin_lines(alice, fixture_upload):
    result = run_import(alice, fixture_upload("escaping_agent_grouped_begin.vcf"))
    assert (result.imported, result.rejected) == (3, [])
    anna = Contact.objects.get(given_name="Anna")
    assert (anna.family_name, anna.display_name) == ("Brevern\\", "Anna Brevern\\")
    assert (anna.company, anna.department) == ("Kontor\\", "Hamburg")
    address = anna.addresses.get()
    assert (address.street, address.city, address.postal_code) == ("Brevern\\", "Hamburg", "20095")
    boss = Contact.objects.get(display_name="Big Boss")
    assert boss.phones.get().number == "+442079460002"
    assert boss.related == [{"label": "agent", "value": "Girl Friday"}]
    assert not Contact.objects.filter(display_name="Girl Friday").exists()
    greta = Contact.objects.get(display_name="Greta Grouped")
    assert greta.phones.get().number == "+46701234567"


def test_the_escaped_backslash_survives_export_and_import(alice, fixture_upload):
    source = services.book_create(owner=alice, name="Source")
    run_import(alice, fixture_upload("escaping_agent_grouped_begin.vcf"), book=source)
    for fmt in ("vcard3", "vcard4", "csv"):
        content, _type, filename = importing.book_export(user=alice, book=source, fmt=fmt)
        copy = services.book_create(owner=alice, name=f"Copy {fmt}")
        run_import(alice, SimpleUploadedFile(filename, content), book=copy, duplicates="create")
        anna = Contact.objects.get(book=copy, given_name="Anna")
        assert (anna.family_name, anna.company, anna.department) == (
            "Brevern\\",
            "Kontor\\",
            "Hamburg",
        )
        assert anna.addresses.get().city == "Hamburg"


# --- The properties people keep -----------------------------------------------------------
def test_the_properties_people_keep_become_fields_and_the_rest_goes_back_out(alice, fixture_upload):
    result = run_import(alice, fixture_upload("many_properties_v3.vcf"))
    ines = Contact.objects.get()
    assert (ines.name_prefix, ines.given_name, ines.middle_name, ines.family_name) == (
        "Dr.",
        "Inês",
        "Maria",
        "Ferreira",
    )
    assert (ines.name_suffix, ines.nickname) == ("PhD", "Nês")
    assert (ines.phonetic_given_name, ines.phonetic_family_name) == ("Ee-nesh", "Fe-ray-ra")
    assert (ines.company, ines.department, ines.job_title, ines.role) == (
        "Lisboa Design Lda.",
        "Studio / Branding",
        "Creative Director",
        "Project lead",
    )
    assert [(p.kind, p.label) for p in ines.phones.all()] == [
        ("work", ""),
        ("pager", ""),
        ("car", ""),
        ("isdn", ""),
        ("other", "Zentrale"),
    ]
    assert [(e.address, e.label) for e in ines.emails.all()] == [
        ("ines@lisboadesign.example", "Atelier")
    ]
    assert ines.urls == [
        {"label": "work", "value": "https://lisboadesign.example/"},
        {"label": "Blog", "value": "https://ines.blog.example/"},
    ]
    assert ines.dates == [
        {"label": "anniversary", "value": "2010-06-12"},
        {"label": "anniversary", "value": "2015-09-01"},
        {"label": "Joined studio", "value": "2019-04-02"},
    ]
    assert ines.related == [
        {"label": "spouse", "value": "João Ferreira"},
        {"label": "assistant", "value": "Rita Sousa"},
    ]
    assert ines.ims == [
        {"label": "Skype", "value": "ines.ferreira"},
        {"label": "Jabber", "value": "ines@xmpp.example"},
    ]
    # Apple's year 1604 means "no year".
    assert (ines.birth_year, ines.birth_month, ines.birth_day) == (None, 11, 2)
    # What has no field is carried to the next export as it was.
    assert ines.vcard_extra == [
        "PHOTO;VALUE=uri:https://photos.example/ines.jpg",
        "LABEL;TYPE=WORK:Rua Augusta 10\\n1100-053 Lisboa",
        "GEO:38.7101;-9.1366",
    ]
    # The photo behind a link is not fetched; the report says so.
    (report,) = result.rejected
    assert "the photo, which is a link to another site" in report["reason"]
    content, _type, _name = importing.book_export(user=alice, book=ines.book, fmt="vcard3")
    text = content.decode()
    for line in ines.vcard_extra:
        assert line in text
    assert "\r\nBDAY:--1102\r\n" in text and "1604" not in text


# --- Remembered mappings ------------------------------------------------------------------
def test_a_mapping_chosen_by_hand_is_offered_again_for_the_same_columns(alice):
    data = b"Who;Mail;Tel;Colour\nAda Lovelace;ada@example.org;+44 20 7946 0018;blue\n"
    first = importing.import_upload(owner=alice, file=SimpleUploadedFile("a.csv", data))
    assert first.format == "custom" and not first.mapping_remembered
    importing.import_start(
        contact_import=first,
        by=alice,
        book=services.book_ensure_default(user=alice),
        duplicates="skip",
        mapping=["full_name", "email:work", "phone:mobile", ""],
    )
    first.refresh_from_db()
    assert first.ignored_columns == ["Colour"]
    assert ImportMapping.objects.get(owner=alice).header == ["Who", "Mail", "Tel", "Colour"]
    again = importing.import_upload(owner=alice, file=SimpleUploadedFile("b.csv", data))
    assert again.mapping_remembered
    assert again.mapping == ["full_name", "email:work", "phone:mobile", ""]


# --- Exports: photos and labels, round trips ----------------------------------------------
@pytest.mark.parametrize("fmt", ["vcard3", "vcard4"])
def test_vcard_round_trip_keeps_every_field_photos_included(alice, fixture_upload, fmt):
    source = services.book_create(owner=alice, name="Source")
    for name in (
        "many_properties_v3.vcf",
        "ios_contacts_v3.vcf",
        "ios6_crcrlf_v3.vcf",
        "nextcloud_v4.vcf",
        "apple_group_cards_v3.vcf",
        "international_prefixes_pauses_v3.vcf",
        "outlook_de.csv",
        "japanese_shift_jis_v21.vcf",
    ):
        run_import(alice, fixture_upload(name), book=source, duplicates="create")
    content, _type, filename = importing.book_export(user=alice, book=source, fmt=fmt)
    text = content.decode()
    assert text.count("PHOTO") >= 3  # every stored photo goes out
    assert "X-ABLabel:Zentrale" in text
    copy = services.book_create(owner=alice, name="Copy")
    result = run_import(
        alice, SimpleUploadedFile(filename, content), book=copy, duplicates="create"
    )
    assert result.status == "done"

    def snapshot(book):
        rows = selectors.contact_export_rows(user=alice, book=book, photos=True)
        return sorted(rows, key=lambda row: row["display_name"])

    before, after = snapshot(source), snapshot(copy)
    assert len(before) == len(after) == Contact.objects.filter(book=source).count()
    for old, new in zip(before, after, strict=True):
        old_photo, new_photo = old.pop("photo"), new.pop("photo")
        assert new == old, old["display_name"]
        assert (old_photo is None) == (new_photo is None), old["display_name"]
        if old_photo:
            a, b = Image.open(io.BytesIO(old_photo)), Image.open(io.BytesIO(new_photo))
            assert a.size == b.size
            # Re-encoded twice (JPEG out, WebP in): the pixels stay close.
            pairs = zip(a.convert("L").tobytes(), b.convert("L").tobytes(), strict=True)
            assert max(abs(x - y) for x, y in pairs) < 24
    groups = {g.name: g.members.count() for g in ContactGroup.objects.filter(book=copy)}
    assert groups == {g.name: g.members.count() for g in ContactGroup.objects.filter(book=source)}
