"""Announcements to markets: only announcers send, the chosen regions receive (across
companies), nobody else; marks are per person; expired ones disappear."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from accounts.models import Region
from messaging import selectors, services
from messaging.models import Announcement
from tests.accounts.factories import UserFactory
from tests.fixtures.sockets import next_of, quiet_but_presence
from uc_web.lib import publicid
from uc_web.lib.exceptions import PermissionDenied

pytestmark = pytest.mark.django_db(transaction=True)


def country(code: str) -> Region:
    return Region.objects.get(kind="country", code=code)


@pytest.fixture
def announcer(alice):
    from django.contrib.auth.models import Group

    alice.groups.add(Group.objects.get(name="Announcer"))
    alice.profile.regions.add(country("GB"))
    return type(alice).objects.get(pk=alice.pk)  # fresh permission cache


@pytest.fixture
def in_gb(bob, charlie):
    bob.profile.regions.add(country("GB"))
    charlie.profile.regions.add(country("GB"), country("FR"))
    return [bob, charlie]


def announce(sender, codes=("GB",), **kw):
    return services.announcement_send(
        sender=sender,
        subject=kw.get("subject", "Spring prices"),
        body="New prices from 1 March: https://example.com/prices",
        regions=[country(c) for c in codes],
        expires_at=kw.get("expires_at", timezone.now() + timedelta(days=7)),
    )


def test_it_reaches_the_chosen_region_across_companies_and_nobody_else(announcer, in_gb, company):
    bob, charlie = in_gb
    dave = UserFactory(company=company)  # no regions
    erin = UserFactory(company=company)
    erin.profile.regions.add(country("DE"))
    announce(announcer)
    assert [a.subject for a in selectors.announcement_list(user=bob)] == ["Spring prices"]
    assert selectors.announcement_list(user=charlie).count() == 1  # Blue Harbour too
    assert selectors.announcement_list(user=dave).count() == 0
    assert selectors.announcement_list(user=erin).count() == 0
    folders = {f.slug: f.unread for f in selectors.folder_list(user=charlie)}
    assert folders["announcements"] == 1 and folders["inbox"] == 1


def test_two_regions_of_one_person_show_it_once(announcer, in_gb):
    _bob, charlie = in_gb
    announce(announcer, codes=("GB", "FR"))
    assert selectors.announcement_list(user=charlie).count() == 1


def test_without_the_role_nobody_sends(bob):
    with pytest.raises(PermissionDenied):
        announce(bob)
    assert not Announcement.objects.exists()


def test_read_and_delete_are_per_person(announcer, in_gb):
    bob, charlie = in_gb
    a = announce(announcer)
    services.announcement_mark_read(announcement=a, user=bob)
    assert selectors.announcement_unread_count(user=bob) == 0
    assert selectors.announcement_unread_count(user=charlie) == 1
    services.announcement_delete(announcement=a, user=charlie)
    assert selectors.announcement_list(user=charlie).count() == 0
    assert selectors.announcement_list(user=bob).count() == 1


def test_expired_ones_disappear_and_are_purged(announcer, in_gb):
    bob, _charlie = in_gb
    a = announce(announcer)
    Announcement.objects.filter(pk=a.pk).update(
        created_at=timezone.now() - timedelta(days=30),
        expires_at=timezone.now() - timedelta(days=8),
    )
    assert selectors.announcement_list(user=bob).count() == 0
    assert services.announcements_purge_expired() >= 1
    assert not Announcement.objects.exists()


def test_opting_out_hides_them(announcer, in_gb):
    bob, _charlie = in_gb
    announce(announcer)
    services.announcements_set_wanted(user=bob, wanted=False)
    assert selectors.announcement_list(user=bob).count() == 0


def test_a_market_of_another_company_cannot_be_chosen(announcer, other_company):
    theirs = Region.objects.create(kind="market", name="Harbour VIPs", company=other_company)
    with pytest.raises(Exception, match="from the list"):
        services.announcement_send(
            sender=announcer,
            subject="x",
            body="y",
            regions=[theirs],
            expires_at=timezone.now() + timedelta(days=1),
        )


def test_the_page_and_the_api_refuse_without_the_role(client_for, bob):
    client = client_for(bob)
    assert client.get("/messages/announce/").status_code == 403
    forged = client.post(
        "/messages/announce/",
        {
            "subject": "x",
            "body": "y",
            "regions": [publicid.of(country("GB"))],
            "expires": "2099-01-01",
        },
    )
    assert forged.status_code == 403
    api = client.post(
        "/api/v1/messages/announcements/",
        {
            "subject": "x",
            "body": "y",
            "regions": [publicid.of(country("GB"))],
            "expires_at": "2099-01-01T00:00:00Z",
        },
        content_type="application/json",
    )
    assert api.status_code == 403
    assert not Announcement.objects.exists()


def test_an_announcer_sends_through_the_page(client_for, announcer, in_gb):
    bob, _charlie = in_gb
    response = client_for(announcer).post(
        "/messages/announce/",
        {
            "subject": "Spring prices",
            "body": "Hello markets",
            "regions": [publicid.of(country("GB"))],
            "expires": (timezone.localdate() + timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 302
    html = client_for(bob).get("/messages/folder/announcements/").content.decode()
    assert "Spring prices" in html and "Northwind Trading" in html


def test_charlie_outside_the_region_gets_404_for_the_announcement(
    client_for, announcer, bob, charlie
):
    bob.profile.regions.add(country("GB"))
    a = announce(announcer)
    assert client_for(charlie).get(f"/messages/announcements/{publicid.of(a)}/").status_code == 404
    assert (
        client_for(charlie)
        .post(f"/api/v1/messages/announcements/{publicid.of(a)}/read/")
        .status_code
        == 404
    )
    assert client_for(bob).get(f"/messages/announcements/{publicid.of(a)}/").status_code == 200


async def test_connected_recipients_hear_it_through_their_region_group(
    announcer, in_gb, connect, company
):
    bob, charlie = in_gb
    dave = await sync_to_async(UserFactory)(company=company)
    bob_tab, charlie_tab, dave_tab = await connect(bob), await connect(charlie), await connect(dave)
    await sync_to_async(announce)(announcer)
    for tab in (bob_tab, charlie_tab):
        event = await next_of(tab, "announcement.received")
        assert event["company"] == "Northwind Trading" and event["preview"] == "Spring prices"
    assert await quiet_but_presence(dave_tab)
