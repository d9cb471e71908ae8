"""GET/PATCH /api/v1/me/: the signed-in user's own profile, and nobody else's."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Profile, Region
from uc_web.lib import publicid

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


@pytest.fixture
def api():
    return APIClient()


def test_the_url_is_named(api):
    assert reverse("api:me") == ME


def test_anonymous_gets_403(api, company):
    assert api.get(ME).status_code == 403


def test_bob_reads_his_profile(api, bob):
    api.force_authenticate(bob)
    body = api.get(ME).json()
    assert body["email"] == bob.email
    assert body["company"] == "Northwind Trading"
    assert body["ring_timeout_seconds"] == 30 and body["presence_visibility"] == "company"
    assert body["photo"] == {"small": "", "large": ""}


def test_charlie_sees_only_himself_and_no_northwind_data(api, alice, charlie):
    alice.profile.job_title = "Managing director"
    alice.profile.save()
    api.force_authenticate(charlie)
    body = api.get(ME, {"id": publicid.of(alice), "user": publicid.of(alice)}).json()
    assert body["id"] == publicid.of(charlie)
    assert "Northwind" not in str(body) and "Managing director" not in str(body)


def test_bob_patches_preferences_and_phones_read_with_his_country(api, bob):
    api.force_authenticate(bob)
    response = api.patch(
        ME,
        {
            "first_name": "Robert",
            "dialling_country": "DE",
            "phone_work": "030 901820",
            "time_zone": "Europe/Berlin",
            "ring_timeout_seconds": 20,
            "presence_visibility": "nobody",
            "directory_visible_outside": True,
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["first_name"] == "Robert" and body["phone_work"] == "+4930901820"
    profile = Profile.objects.get(user=bob)
    assert (profile.time_zone, profile.ring_timeout_seconds, profile.presence_visibility) == (
        "Europe/Berlin",
        20,
        "nobody",
    )
    assert profile.directory_visible_outside


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("time_zone", "Europe/Atlantis"),
        ("ring_timeout_seconds", 1000),
        ("phone_work", "not a number"),
        ("presence_visibility", "everyone"),
        ("dialling_country", "ZZ"),
    ],
)
def test_bad_values_are_400_with_the_field_named(api, bob, field, value):
    api.force_authenticate(bob)
    response = api.patch(ME, {field: value}, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_read_only_fields_cannot_be_changed(api, bob, other_company):
    api.force_authenticate(bob)
    api.patch(ME, {"email": "root@evil.example", "company": other_company.pk}, format="json")
    bob.refresh_from_db()
    assert bob.email == "bob@northwind.example" and bob.company.name == "Northwind Trading"


def test_charlie_cannot_join_a_northwind_market(api, alice, charlie):
    market = Region.objects.create(kind="market", company=alice.company, name="UK retail")
    api.force_authenticate(charlie)
    response = api.patch(ME, {"regions": [publicid.of(market)]}, format="json")
    assert response.status_code == 400
    assert not charlie.profile.regions.exists()


def test_regions_are_set_from_countries_and_own_markets(api, bob):
    market = Region.objects.create(kind="market", company=bob.company, name="UK retail")
    gb = Region.objects.get(code="GB")
    api.force_authenticate(bob)
    response = api.patch(ME, {"regions": [publicid.of(market), publicid.of(gb)]}, format="json")
    assert response.status_code == 200
    assert sorted(response.json()["regions"]) == sorted([publicid.of(market), publicid.of(gb)])


def test_the_presence_snapshot_carries_colleagues_photos(api, alice, bob, settings, tmp_path):
    from accounts import services
    from tests.accounts import images

    settings.MEDIA_ROOT = str(tmp_path)
    services.profile_photo_set(user=bob, upload=images.upload(images.jpeg()))
    api.force_authenticate(alice)
    people = api.get("/api/v1/presence/").json()["people"]
    assert people[0]["photo"].startswith(f"/people/{publicid.of(bob)}/photo-small.webp?v=")
