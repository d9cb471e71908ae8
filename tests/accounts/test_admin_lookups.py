"""Admin changelists filter only as declared (issue 11, finding 2: the startswith attack)."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts import api_tokens

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:accounts_user_changelist"


@pytest.fixture
def alices_admin(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


def test_the_token_prefix_attack_answers_400_and_tells_nothing(alices_admin, bob):
    token, key = api_tokens.api_token_create(user=bob, name="script")
    url = reverse(CHANGELIST)
    answers = set()
    for lookup in (
        f"api_tokens__digest__startswith={token.digest[0]}",
        f"api_tokens__prefix__startswith={key[:6]}",
        "api_tokens__name__startswith=s",
    ):
        response = alices_admin.get(f"{url}?{lookup}")
        answers.add(response.status_code)
        assert bob.email not in response.content.decode()
    assert answers == {400}


@pytest.mark.parametrize(
    "lookup",
    [
        "password__startswith=pbkdf2",
        "password__regex=^p",
        "company__name__startswith=Blue",
        "company__id__exact=1",
        "groups__permissions__codename=add_user",
        "email__startswith=bob",  # searching is declared (?q=), arbitrary filtering is not
        "is_superuser__exact=0",
        "last_login__gte=2000-01-01",
    ],
)
def test_undeclared_lookups_are_refused_with_400(alices_admin, bob, lookup):
    response = alices_admin.get(f"{reverse(CHANGELIST)}?{lookup}")
    assert response.status_code == 400
    assert bob.email not in response.content.decode()


@pytest.mark.parametrize(
    "query", ["is_active__exact=1", "role=Company+admin", "invited=yes", "q=bob", "o=2"]
)
def test_declared_filters_and_search_still_work(alices_admin, bob, query):
    response = alices_admin.get(f"{reverse(CHANGELIST)}?{query}")
    assert response.status_code == 200


def test_search_finds_colleagues_by_name_only_in_alices_company(alices_admin, bob, charlie):
    page = alices_admin.get(f"{reverse(CHANGELIST)}?q=charlie").content.decode()
    assert charlie.email not in page
    page = alices_admin.get(f"{reverse(CHANGELIST)}?q=bob").content.decode()
    assert bob.email in page


def test_a_superuser_filters_by_company_through_the_declared_filter(other_company, charlie):
    from accounts.models import User

    root = User.objects.create_superuser("root@example.com", "x-secret-root-pass-1")
    client = Client()
    client.force_login(root)
    url = reverse(CHANGELIST)
    assert client.get(f"{url}?company__id__exact={other_company.pk}").status_code == 200
    assert client.get(f"{url}?password__startswith=p").status_code == 400


def test_every_registered_admin_refuses_undeclared_lookups():
    from django.contrib import admin

    from uc_web.admin_site import DeclaredLookupsOnly

    assert admin.site._registry
    for model_admin in admin.site._registry.values():
        assert isinstance(model_admin, DeclaredLookupsOnly), model_admin
