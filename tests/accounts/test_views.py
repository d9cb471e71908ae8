"""The profile page, photos, the company page, and who may see what."""

import io
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.urls import reverse
from PIL import Image

from accounts.models import Profile, Region, User
from tests.accounts import images
from uc_web.lib import publicid

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def stored_files(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def post_photo(client, data: bytes, name: str = "me.jpg"):
    return client.post(
        reverse("accounts:profile"),
        {"section": "photo", "photo-photo": images.upload(data, name)},
    )


def test_profile_page_shows_every_section(client, bob):
    client.force_login(bob)
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 200
    for heading in ["Details", "Photo", "Password", "Preferences", "Options", "Regions"]:
        assert f">{heading}</h2>" in response.content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client, bob):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_details_store_phone_numbers_as_e164_read_with_the_dialling_country(client, bob):
    bob.profile.dialling_country = "GB"
    bob.profile.save()
    client.force_login(bob)
    response = client.post(
        reverse("accounts:profile"),
        {
            "section": "details",
            "details-first_name": "Bob",
            "details-last_name": "Okafor",
            "details-job_title": "Buyer",
            "details-department": "Purchasing",
            "details-phone_mobile": "07911 123456",
            "details-phone_work": "020 7946 0018",
            "details-phone_home": "+1 (202) 555-0143",
        },
    )
    assert response.status_code == 302
    profile = Profile.objects.get(user=bob)
    assert profile.phone_work == "+442079460018"
    assert profile.phone_mobile == "+447911123456"
    assert profile.phone_home == "+12025550143"
    assert profile.job_title == "Buyer"


def test_an_invalid_phone_number_is_a_field_error(client, bob):
    bob.profile.dialling_country = "GB"
    bob.profile.save()
    client.force_login(bob)
    response = client.post(
        reverse("accounts:profile"),
        {
            "section": "details",
            "details-first_name": "Bob",
            "details-phone_work": "12345",
        },
    )
    assert response.status_code == 400
    assert "is not a valid phone number" in response.content.decode()
    assert Profile.objects.get(user=bob).phone_work == ""


def test_a_good_photo_is_stored_and_shown_in_the_navbar(client, bob, media_root):
    client.force_login(bob)
    response = post_photo(client, images.jpeg((800, 600)))
    assert response.status_code == 302
    profile = Profile.objects.get(user=bob)
    assert profile.avatar_small.startswith("avatars/")
    bob = User.objects.get(pk=bob.pk)
    page = client.get(reverse("home")).content.decode()
    assert bob.photo_url_small in page
    photo = client.get(bob.photo_url_small)
    assert photo.status_code == 200 and photo["Content-Type"] == "image/webp"
    assert Image.open(io.BytesIO(b"".join(photo.streaming_content))).size == (64, 64)


def test_replacing_a_photo_deletes_the_old_files(
    client, bob, media_root, django_capture_on_commit_callbacks
):
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        post_photo(client, images.jpeg())
    first = stored_files(media_root)
    with django_capture_on_commit_callbacks(execute=True):
        post_photo(client, images.png())
    second = stored_files(media_root)
    assert len(first) == len(second) == 2
    assert not set(first) & set(second)


def test_removing_the_photo_falls_back_to_initials(
    client, bob, media_root, django_capture_on_commit_callbacks
):
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        post_photo(client, images.jpeg())
        client.post(reverse("accounts:photo-remove"))
    assert stored_files(media_root) == []
    page = client.get(reverse("home")).content.decode()
    assert '<span class="avatar avatar-sm" aria-hidden="true">BO</span>' in page


@pytest.mark.parametrize("kind", sorted(images.BAD_UPLOADS))
def test_each_bad_photo_is_a_form_error_and_nothing_is_stored(kind, client, bob, media_root):
    client.force_login(bob)
    data, name = images.BAD_UPLOADS[kind]()
    response = post_photo(client, data, name)
    assert response.status_code == 400
    form = response.context["forms"]["photo"]
    assert form.errors["photo"]
    assert form.errors["photo"][0] in response.content.decode()
    assert stored_files(media_root) == []
    assert Profile.objects.get(user=bob).avatar_small == ""


def test_colleagues_see_a_photo_but_charlie_gets_404(client, alice, bob, charlie):
    client.force_login(bob)
    post_photo(client, images.jpeg())
    url = User.objects.get(pk=bob.pk).photo_url_large
    assert url
    client.force_login(alice)
    assert client.get(url).status_code == 200
    client.force_login(charlie)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_preferences_are_saved_and_the_time_zone_renders_times(client, bob):
    client.force_login(bob)
    User.objects.filter(pk=bob.pk).update(last_login=datetime(2026, 11, 27, 12, 0, tzinfo=UTC))
    response = client.post(
        reverse("accounts:profile"),
        {
            "section": "preferences",
            "preferences-time_zone": "Asia/Kathmandu",
            "preferences-language": "en",
            "preferences-date_format": "iso",
            "preferences-dialling_country": "NP",
            "preferences-ring_timeout_seconds": "45",
            "preferences-sounds_enabled": "on",
            "preferences-away_after_minutes": "15",
        },
    )
    assert response.status_code == 302
    profile = Profile.objects.get(user=bob)
    assert (profile.time_zone, profile.ring_timeout_seconds, profile.away_after_minutes) == (
        "Asia/Kathmandu",
        45,
        15,
    )
    assert profile.sounds_enabled and not profile.desktop_notifications
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "2026-11-27 17:45 +0545" in page


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("time_zone", "Mars/Olympus_Mons"),
        ("ring_timeout_seconds", "2"),
        ("away_after_minutes", "0"),
        ("dialling_country", "XX"),
    ],
)
def test_bad_preferences_are_field_errors(client, bob, field, value):
    client.force_login(bob)
    data = {
        "section": "preferences",
        "preferences-date_format": "iso",
        "preferences-ring_timeout_seconds": "30",
        "preferences-away_after_minutes": "10",
        f"preferences-{field}": value,
    }
    response = client.post(reverse("accounts:profile"), data)
    assert response.status_code == 400
    assert response.context["forms"]["preferences"].errors[field]


def test_options_are_saved(client, bob):
    client.force_login(bob)
    response = client.post(
        reverse("accounts:profile"),
        {
            "section": "options",
            "options-presence_visibility": "contacts",
            "options-contact_requests_from": "company",
            "options-directory_visible_outside": "on",
        },
    )
    assert response.status_code == 302
    profile = Profile.objects.get(user=bob)
    assert profile.presence_visibility == "contacts"
    assert profile.contact_requests_from == "company"
    assert profile.directory_visible_outside


def test_regions_offer_countries_and_own_markets_but_not_another_companys(
    client, alice, bob, charlie
):
    ours = Region.objects.create(kind="market", company=alice.company, name="UK retail")
    theirs = Region.objects.create(kind="market", company=charlie.company, name="Harbour ops")
    france = Region.objects.get(code="FR")
    client.force_login(bob)
    response = client.post(
        reverse("accounts:profile"),
        {"section": "regions", "regions-regions": [publicid.of(ours), publicid.of(france)]},
    )
    assert response.status_code == 302
    assert set(Profile.objects.get(user=bob).regions.all()) == {ours, france}
    response = client.post(
        reverse("accounts:profile"),
        {"section": "regions", "regions-regions": [publicid.of(theirs)]},
    )
    assert response.status_code == 400
    assert set(Profile.objects.get(user=bob).regions.all()) == {ours, france}


def test_company_page_is_for_company_admins_only(client, alice, bob):
    client.force_login(bob)
    assert client.get(reverse("accounts:company")).status_code == 403
    client.force_login(alice)
    assert client.get(reverse("accounts:company")).status_code == 200


def test_company_admin_updates_details_and_defaults_for_new_members(client, alice):
    from accounts import services

    client.force_login(alice)
    response = client.post(
        reverse("accounts:company"),
        {
            "section": "details",
            "company-name": "Northwind Trading Ltd",
            "company-address": "1 Harbour Street\nLondon",
            "company-website": "northwind.example",
            "company-phone": "020 7946 0000",
            "company-default_time_zone": "Europe/London",
            "company-default_dialling_country": "GB",
        },
    )
    assert response.status_code == 302
    company = alice.company
    company.refresh_from_db()
    assert company.name == "Northwind Trading Ltd"
    assert company.phone == "+442079460000"
    assert company.website == "https://northwind.example"
    newcomer = services.user_create(company=company, email="dora@northwind.example", password=None)
    assert newcomer.profile.time_zone == "Europe/London"
    assert newcomer.default_dialling_country == "GB"


def test_the_logo_goes_through_the_pipeline_and_shows_in_the_shell(client, alice, bob, charlie):
    client.force_login(alice)
    response = client.post(
        reverse("accounts:company"),
        {"section": "logo", "logo-logo": images.upload(images.png((400, 100)), "logo.png")},
    )
    assert response.status_code == 302
    alice.company.refresh_from_db()
    url = alice.company.logo_url_small
    assert url
    client.force_login(bob)
    assert url in client.get(reverse("home")).content.decode()
    assert client.get(url).status_code == 200
    client.force_login(charlie)
    assert client.get(url).status_code == 404


def test_an_svg_logo_is_refused(client, alice, media_root):
    client.force_login(alice)
    response = client.post(
        reverse("accounts:company"),
        {"section": "logo", "logo-logo": images.upload(images.SVG_WITH_SCRIPT, "logo.svg")},
    )
    assert response.status_code == 400
    assert "SVG" in response.context["forms"]["logo"].errors["logo"][0]
    assert stored_files(media_root) == []


def test_markets_are_added_and_charlie_cannot_delete_ours(client, alice, charlie):
    client.force_login(alice)
    client.post(reverse("accounts:company"), {"section": "market", "market-name": "EMEA"})
    market = Region.objects.get(kind="market", company=alice.company)
    response = client.post(
        reverse("accounts:company"), {"section": "market", "market-name": "emea"}
    )
    assert response.status_code == 400
    client.force_login(charlie)
    assert client.post(reverse("accounts:market-delete", args=[market.pk])).status_code == 404
    assert Region.objects.filter(pk=market.pk).exists()
    client.force_login(alice)
    assert client.post(reverse("accounts:market-delete", args=[market.pk])).status_code == 302
    assert not Region.objects.filter(pk=market.pk).exists()


def test_mail_outbox_is_untouched_by_profile_edits(client, bob):
    client.force_login(bob)
    client.get(reverse("accounts:profile"))
    assert mail.outbox == []


@pytest.mark.parametrize("kind", sorted(images.BAD_UPLOADS))
def test_each_bad_logo_is_a_form_error_and_nothing_is_stored(kind, client, alice, media_root):
    client.force_login(alice)
    data, name = images.BAD_UPLOADS[kind]()
    response = client.post(
        reverse("accounts:company"), {"section": "logo", "logo-logo": images.upload(data, name)}
    )
    assert response.status_code == 400
    error = response.context["forms"]["logo"].errors["logo"][0]
    assert error in response.content.decode()
    assert stored_files(media_root) == []
    alice.company.refresh_from_db()
    assert alice.company.logo_small == ""


def test_stored_numbers_are_shown_for_reading_and_saved_unchanged(client, bob):
    bob.profile.phone_work = "+442079460018"
    bob.profile.save()
    client.force_login(bob)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert 'value="+44 20 7946 0018"' in page
    response = client.post(
        reverse("accounts:profile"),
        {
            "section": "details",
            "details-first_name": "Bob",
            "details-phone_work": "+44 20 7946 0018",
        },
    )
    assert response.status_code == 302
    assert Profile.objects.get(user=bob).phone_work == "+442079460018"


def test_the_profile_page_takes_a_fixed_number_of_queries(
    client, bob, django_assert_max_num_queries
):
    client.force_login(bob)
    client.get(reverse("accounts:profile"))
    with django_assert_max_num_queries(8):  # 7, and one for the Voicemail section (calls)
        assert client.get(reverse("accounts:profile")).status_code == 200


def test_the_company_page_takes_a_fixed_number_of_queries(
    client, alice, django_assert_max_num_queries
):
    for n in range(5):
        Region.objects.create(kind="market", company=alice.company, name=f"Market {n}")
    client.force_login(alice)
    # 8, and the voice and video mail section's rules and storage used (messaging)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("accounts:company")).status_code == 200


def test_an_oversized_upload_is_cut_off_while_it_is_received(client, bob, monkeypatch):
    from uc_web.lib import media

    def never(*args, **kwargs):
        raise AssertionError("the pipeline should not see an oversized upload")

    monkeypatch.setattr(media, "image_store", never)
    client.force_login(bob)
    response = post_photo(client, images.noise_png(6 * 1024 * 1024), "big.png")
    assert response.status_code == 400
    assert response.context["forms"]["photo"].errors["photo"] == [
        "The file is too large: the limit is 5 MB."
    ]


@pytest.mark.parametrize("url_name", ["accounts:profile", "accounts:company"])
def test_upload_pages_still_check_csrf(alice, url_name):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(reverse(url_name), {"section": "details"})
    assert response.status_code == 403


def test_the_profile_page_ships_only_the_chosen_options_of_its_long_lists(client, alice):
    from accounts.models import Region

    alice.profile.regions.set(Region.objects.filter(code__in=["GB", "PT"]))
    client.force_login(alice)
    page = client.get("/profile/").content.decode()
    assert page.count("<option") < 40  # not ~600 time zones, ~250 countries, ~250 regions
    assert 'data-choices-url="/api/v1/choices/time-zones/"' in page
    assert 'data-choices-url="/api/v1/choices/regions/"' in page
    assert ">United Kingdom</option>" in page and ">Portugal</option>" in page


def test_the_lists_load_on_demand_and_markets_stay_in_their_company(client, alice, charlie):
    from accounts.models import Region

    Region.objects.create(kind="market", company=alice.company, name="UK retail")
    Region.objects.create(kind="market", company=charlie.company, name="Harbour ops")
    client.force_login(charlie)
    rows = client.get("/api/v1/choices/regions/").json()
    regions = {row["text"] for row in rows}
    assert "Harbour ops" in regions and "UK retail" not in regions and "Portugal" in regions
    portugal = Region.objects.get(code="PT")
    assert {"value": publicid.of(portugal), "text": "Portugal"} in rows  # ids stay opaque
    zones = client.get("/api/v1/choices/time-zones/").json()
    assert {"value": "Asia/Kathmandu", "text": "Asia/Kathmandu"} in zones
    countries = client.get("/api/v1/choices/countries/").json()
    assert {"value": "PT", "text": "Portugal"} in countries
    assert client.get("/api/v1/choices/passwords/").status_code == 404


def test_a_region_chosen_from_the_loaded_list_is_still_checked_by_the_server(
    client, alice, charlie
):
    from accounts.models import Region

    theirs = Region.objects.create(kind="market", company=charlie.company, name="Harbour ops")
    client.force_login(alice)
    response = client.post(
        "/profile/", {"section": "regions", "regions-regions": [publicid.of(theirs)]}
    )
    assert response.status_code == 400
    assert not alice.profile.regions.exists()
