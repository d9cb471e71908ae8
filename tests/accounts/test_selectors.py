"""Selectors return only what the acting user may see."""

import pytest

from accounts import selectors
from accounts.models import Region
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_region_list_has_every_country_and_only_own_markets(alice, charlie):
    ours = Region.objects.create(kind="market", company=alice.company, name="UK retail")
    theirs = Region.objects.create(kind="market", company=charlie.company, name="Harbour ops")
    regions = selectors.region_list(user=alice)
    assert ours in regions and theirs not in regions
    assert regions.filter(kind="country").count() >= 249


def test_person_list_is_the_company(alice, bob, charlie):
    assert set(selectors.person_list(user=alice)) == {alice, bob}
    assert set(selectors.person_list(user=charlie)) == {charlie}


def test_profile_get_loads_everything_the_page_needs_in_two_queries(bob, django_assert_num_queries):
    with django_assert_num_queries(2):
        profile = selectors.profile_get(user=bob)
        assert profile.user.company.name
        list(profile.regions.all())


def test_person_list_does_not_grow_queries_with_people(alice, company, django_assert_num_queries):
    UserFactory.create_batch(10, company=company)
    with django_assert_num_queries(1):
        people = list(selectors.person_list(user=alice).select_related("profile"))
        assert all(p.photo_url_small == "" for p in people)
