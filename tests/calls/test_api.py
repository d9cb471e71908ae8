"""The calls API and the call log page: only one's own calls, ICE servers, the badge."""

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.utils import timezone

from calls import turn
from calls.models import Call
from tests.calls.factories import CallFactory
from uc_web.lib import publicid

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def calls(alice, bob, charlie, company):
    from tests.accounts.factories import UserFactory

    dave = UserFactory(company=company, first_name="Dave", last_name="Lee")
    return {
        "out": CallFactory(caller=alice, callee=bob),
        "in": CallFactory(caller=bob, callee=alice, media=Call.Media.AUDIO),
        "missed": CallFactory(
            caller=bob,
            callee=alice,
            answered_at=None,
            ended_at=timezone.now(),
            end_reason=Call.EndReason.NO_ANSWER,
        ),
        "theirs": CallFactory(caller=bob, callee=dave),
        "elsewhere": CallFactory(
            caller=charlie, callee=CompanyMate.of(charlie), end_reason=Call.EndReason.DECLINED
        ),
    }


class CompanyMate:
    @staticmethod
    def of(user):
        from tests.accounts.factories import UserFactory

        return UserFactory(company=user.company)


def test_alice_lists_only_her_own_calls(client, alice, calls):
    data = client_for(alice).get("/api/v1/calls/").json()
    assert {c["id"] for c in data["results"]} == {
        publicid.of(calls["out"]),
        publicid.of(calls["in"]),
        publicid.of(calls["missed"]),
    }
    out = next(c for c in data["results"] if c["id"] == publicid.of(calls["out"]))
    assert out["direction"] == "outgoing" and out["peer"]["name"] == "Bob Okafor"
    assert out["duration_seconds"] == 60 and out["end_reason_label"] == "Completed"


@pytest.mark.parametrize(
    ("which", "expected"),
    [("missed", {"missed"}), ("incoming", {"in", "missed"}), ("outgoing", {"out"})],
)
def test_the_call_log_filters(alice, calls, which, expected):
    data = client_for(alice).get(f"/api/v1/calls/?filter={which}").json()
    assert {c["id"] for c in data["results"]} == {publicid.of(calls[k]) for k in expected}


def test_charlie_gets_404_for_alices_call(charlie, calls):
    response = client_for(charlie).get(f"/api/v1/calls/{publicid.of(calls['out'])}/")
    assert response.status_code == 404
    assert client_for(charlie).get("/api/v1/calls/").json()["count"] == 1


def test_the_calls_api_needs_a_signed_in_user(client, calls):
    for path in ["/api/v1/calls/", "/api/v1/calls/state/", "/api/v1/calls/ice-servers/"]:
        assert client.get(path).status_code in (401, 403)
    assert client.post("/api/v1/calls/missed-seen/").status_code in (401, 403)


def test_the_state_snapshot_counts_unseen_missed_calls_and_seeing_clears_them(alice, calls):
    api = client_for(alice)
    assert api.get("/api/v1/calls/state/").json() == {"active": [], "missed": 1}
    assert api.post("/api/v1/calls/missed-seen/").json()["missed"] == 0
    assert api.get("/api/v1/calls/state/").json()["missed"] == 0


def test_the_call_log_page_shows_the_calls_and_clears_the_badge(alice, calls):
    page = client_for(alice).get("/calls/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('class="call-row"') == 3
    assert "1:00" in html and "Missed" in html and "Call Bob Okafor back" in html
    assert Call.objects.get(pk=calls["missed"].pk).missed_seen
    assert client_for(alice).get("/api/v1/calls/state/").json()["missed"] == 0


def test_the_call_log_shows_times_in_the_users_time_zone(alice, calls):
    alice.profile.time_zone = "Asia/Kolkata"
    alice.profile.save()
    Call.objects.filter(pk=calls["out"].pk).update(
        created_at=datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    )
    html = client_for(alice).get("/calls/?filter=outgoing").content.decode()
    assert 'datetime="2026-01-05T17:30:00+05:30"' in html


def test_the_call_log_costs_the_same_queries_for_many_calls(
    alice, bob, django_assert_max_num_queries
):
    CallFactory.create_batch(30, caller=alice, callee=bob)
    api = client_for(alice)
    api.get("/api/v1/calls/")
    with django_assert_max_num_queries(8):
        assert api.get("/api/v1/calls/").json()["count"] == 30
    page = client_for(alice)
    page.get("/calls/")
    with django_assert_max_num_queries(14):
        assert page.get("/calls/").status_code == 200


def test_ice_servers_carry_turn_rest_credentials_that_coturn_accepts(alice, settings):
    settings.STUN_URLS = ["stun:turn.example.com:3478"]
    settings.TURN_URLS = ["turn:turn.example.com:3478", "turns:turn.example.com:443?transport=tcp"]
    settings.TURN_SHARED_SECRET = "s3cret"
    settings.TURN_CREDENTIAL_TTL = 3600
    response = client_for(alice).get("/api/v1/calls/ice-servers/")
    assert response["Cache-Control"] == "no-store"
    data = response.json()
    stun, turn_server = data["iceServers"]
    assert stun == {"urls": ["stun:turn.example.com:3478"]}
    expiry, user_id = turn_server["username"].split(":")
    assert user_id == publicid.of(alice)  # never the primary key
    assert 3590 <= int(expiry) - time.time() <= 3600
    expected = base64.b64encode(
        hmac.new(b"s3cret", turn_server["username"].encode(), hashlib.sha1).digest()
    ).decode()
    assert turn_server["credential"] == expected
    assert data["iceTransportPolicy"] == "all"


def test_turn_credentials_follow_the_rest_scheme(settings):
    settings.TURN_SHARED_SECRET = "north"
    settings.TURN_CREDENTIAL_TTL = 600
    creds = turn.turn_credentials(user_id=7, now=1_700_000_000)
    username = f"1700000600:{publicid.encode('accounts.user', 7)}"
    assert creds["username"] == username
    # as: printf "$username" | openssl dgst -sha1 -hmac north -binary | base64
    digest = hmac.new(b"north", username.encode(), hashlib.sha1).digest()
    assert creds["credential"] == base64.b64encode(digest).decode()
    settings.TURN_SHARED_SECRET = "south"
    assert turn.turn_credentials(user_id=7, now=1_700_000_000)["credential"] != creds["credential"]


def test_without_turn_settings_no_credentials_are_handed_out(alice, settings):
    settings.STUN_URLS = []
    settings.TURN_URLS = []
    data = client_for(alice).get("/api/v1/calls/ice-servers/").json()
    assert data == {"iceServers": [], "iceTransportPolicy": "all", "expires": None}


def test_the_dial_box_finds_colleagues_only(alice, bob, charlie):
    api = client_for(alice)
    assert [p["email"] for p in api.get("/api/v1/calls/people/?q=bob").json()] == [bob.email]
    assert api.get("/api/v1/calls/people/?q=charlie").json() == []
    assert api.get(f"/api/v1/calls/people/?q={alice.email}").json() == []


def test_the_dial_box_finds_accepted_contacts_and_never_blocked_people(alice, bob, charlie):
    from accounts import services as account_services
    from accounts.models import ContactRequest

    account_services.contact_request_send(sender=charlie, recipient=alice)
    assert client_for(alice).get("/api/v1/calls/people/?q=charlie").json() == []  # pending
    account_services.contact_request_accept(request=ContactRequest.objects.get(), by=alice)
    found = client_for(alice).get("/api/v1/calls/people/?q=charlie").json()
    assert [p["email"] for p in found] == [charlie.email]
    account_services.block_create(blocker=bob, blocked=alice)
    assert client_for(alice).get("/api/v1/calls/people/?q=bob").json() == []
    assert client_for(bob).get("/api/v1/calls/people/?q=alice").json() == []


def test_the_calls_api_is_in_the_openapi_schema(client, alice):
    schema = client_for(alice).get("/api/schema/").content.decode()
    for path in ["/api/v1/calls/:", "/api/v1/calls/state/:", "/api/v1/calls/ice-servers/:"]:
        assert path in schema


def test_the_help_explains_calls_and_the_calls_section_is_no_longer_coming_soon(client, alice):
    api = client_for(alice)
    html = api.get("/help/calls/").content.decode()
    assert "Accepting an incoming call" in html and "Connection failed" in html
    assert api.get("/soon/calls/").status_code == 404
    assert 'href="/calls/"' in api.get("/").content.decode()
