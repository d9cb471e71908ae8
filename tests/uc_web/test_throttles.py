"""Rate limits of the API (per user and per address; searches, writes and imports
stricter) and the mechanism they share with the websocket and contact requests."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from contacts.models import Contact, ContactImport
from uc_web.lib import ratelimit

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    def set_limits(**names: str) -> None:
        settings.RATE_LIMITS = {
            **settings.RATE_LIMITS,
            **{name.replace("__", "."): rate for name, rate in names.items()},
        }

    return set_limits


def client_for(user, address: str = "192.0.2.10") -> Client:
    client = Client(REMOTE_ADDR=address)
    client.force_login(user)
    return client


def test_searches_beyond_the_users_limit_get_429_with_retry_after(alice, bob, limits):
    limits(api__search__user="3/m")
    alices = client_for(alice)
    for _ in range(3):
        assert alices.get("/api/v1/contacts/search/?q=zo").status_code == 200
    refused = alices.get("/api/v1/contacts/?q=zo")  # searching the list is a search too
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    # the rest of this minute, plus a third of the next while its 3 slide out
    assert 20 < int(refused["Retry-After"]) <= 80
    assert alices.get("/api/v1/contacts/").status_code == 200  # a plain read is not
    assert client_for(bob).get("/api/v1/calls/people/?q=al").status_code == 200  # Bob's own


def test_writes_beyond_the_limit_are_refused_and_change_nothing(alice, limits):
    limits(api__write__user="2/m")
    alices = client_for(alice)
    for name in ("Ann", "Ben"):
        created = alices.post("/api/v1/contacts/", {"given_name": name}, "application/json")
        assert created.status_code == 201
    refused = alices.post("/api/v1/contacts/", {"given_name": "Cid"}, "application/json")
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert sorted(Contact.objects.values_list("given_name", flat=True)) == ["Ann", "Ben"]
    assert alices.get("/api/v1/contacts/").status_code == 200


def test_imports_have_their_own_stricter_limit(alice, limits):
    limits(api__import__user="1/h")
    alices = client_for(alice)
    card = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann\r\nN:;Ann;;;\r\nEND:VCARD\r\n"

    def upload():
        return alices.post(
            "/api/v1/contact-imports/",
            {"file": SimpleUploadedFile("a.vcf", card, content_type="text/vcard")},
        )

    assert upload().status_code == 201
    refused = upload()
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 60
    assert ContactImport.objects.count() == 1
    assert alices.get("/api/v1/contact-imports/").status_code == 200  # following one: a read


def test_one_address_has_a_limit_of_its_own_across_users(alice, bob, limits):
    limits(api__read__ip="3/m")
    assert client_for(alice).get("/api/v1/me/").status_code == 200
    assert client_for(bob).get("/api/v1/me/").status_code == 200
    assert client_for(alice).get("/api/v1/me/").status_code == 200
    assert client_for(bob).get("/api/v1/me/").status_code == 429
    assert client_for(bob, address="192.0.2.99").get("/api/v1/me/").status_code == 200


def test_charlie_running_out_leaves_alice_alone_and_still_sees_nothing_of_hers(
    alice, charlie, limits
):
    limits(api__search__user="1/m")
    charlies = client_for(charlie, address="198.51.100.7")
    assert charlies.get("/api/v1/contacts/search/?q=al").json()["colleagues"] == []
    assert charlies.get("/api/v1/contacts/search/?q=al").status_code == 429
    assert client_for(alice).get("/api/v1/contacts/search/?q=ch").status_code == 200


def test_the_wait_said_when_a_period_is_full_is_the_real_one(monkeypatch, settings):
    # Full 30 s before the hour ends: the hour's events still count in the next one, so
    # the wait is not "30 s" (a retry then would be refused again) but until they slid out.
    settings.RATE_LIMITS = {"test.user": "1/h"}
    now = [3600.0 * 10 - 30]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    assert ratelimit.hit("test.user", 1) == 0
    wait = ratelimit.hit("test.user", 1)
    assert wait == 30 + 3600
    now[0] += wait - 1
    assert ratelimit.hit("test.user", 1) > 0
    now[0] += 1
    assert ratelimit.hit("test.user", 1) == 0


def test_the_sliding_window_counts_the_previous_period_by_its_share(monkeypatch, settings):
    settings.RATE_LIMITS = {"test.user": "10/m"}
    now = [6000.0]  # the start of a minute
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    assert all(ratelimit.hit("test.user", 1) == 0 for _ in range(10))
    # full for this minute, then 6 s more while a tenth of its 10 slide out of the next
    assert ratelimit.hit("test.user", 1) == 66
    now[0] += 90  # half-way into the next minute: half of the 10 still count
    assert all(ratelimit.hit("test.user", 1) == 0 for _ in range(5))
    assert 0 < ratelimit.hit("test.user", 1) <= 30
    assert ratelimit.hit("test.user", 2) == 0  # another user's count is their own


def test_a_token_bucket_allows_a_burst_then_its_rate():
    now = [0.0]
    bucket = ratelimit.TokenBucket(ratelimit.Rate.parse("3/6s"), clock=lambda: now[0])
    assert [bucket.take() for _ in range(4)] == [0, 0, 0, 2.0]
    now[0] += 2
    assert bucket.take() == 0 and bucket.take() == 2.0


@pytest.mark.parametrize("text", ["", "10", "0/m", "10/0s", "10/w", "ten/m", "-1/m"])
def test_a_malformed_rate_is_refused(text):
    with pytest.raises(ValueError, match="is not a rate"):
        ratelimit.Rate.parse(text)
