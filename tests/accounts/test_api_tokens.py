"""API tokens: stored only as digests, shown once, named, revoked (issue 11, finding 2)."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts import api_tokens
from accounts.models import ApiToken, AuditEvent
from uc_web.lib import publicid

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def create_on_the_page(client: Client, name: str) -> str:
    response = client.post(reverse("accounts:tokens"), {"name": name})
    assert response.status_code == 200
    return re.search(r'value="(uct_[^"]+)" readonly data-new-token', response.content.decode())[1]


def test_bob_makes_a_token_on_his_page_and_it_signs_his_program_in(bob):
    key = create_on_the_page(signed_in(bob), "CRM sync")
    program = Client()
    me = program.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert me.status_code == 200 and me.json()["email"] == bob.email
    token = ApiToken.objects.get(user=bob)
    assert token.name == "CRM sync" and token.last_used_at is not None
    assert AuditEvent.objects.filter(kind="token_created", subject=bob).exists()


def test_the_key_is_shown_once_and_the_database_holds_no_clear_token(bob):
    client = signed_in(bob)
    key = create_on_the_page(client, "Backup script")
    # Shown once: the page shows only its first characters afterwards.
    page = client.get(reverse("accounts:tokens")).content.decode()
    assert key not in page and key[:10] in page and "Backup script" in page
    # The page leads to the API's help and its interactive documentation.
    assert f'href="{reverse("api-docs")}"' in page and reverse("help-topic", args=["api"]) in page
    # No column of any table holds the key (or its secret part) in clear.
    secret = key[len(api_tokens.KEY_PREFIX) :]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - our own table names
            for row in cursor.fetchall():
                assert not any(secret in str(value) for value in row), table


def test_turbo_gets_the_new_key_as_a_stream_without_a_redirect(bob):
    client = signed_in(bob)
    response = client.post(
        reverse("accounts:tokens"),
        {"name": "Phone app"},
        HTTP_ACCEPT="text/vnd.turbo-stream.html, text/html, application/xhtml+xml",
        HTTP_X_TURBO_REQUEST_ID="1",
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/vnd.turbo-stream.html")
    assert response["Cache-Control"] == "no-store"
    stream = response.content.decode()
    assert '<turbo-stream action="replace" target="api-tokens">' in stream
    assert "uct_" in response.content.decode()


def test_a_revoked_token_stops_working_at_once(bob):
    client = signed_in(bob)
    key = create_on_the_page(client, "Old laptop")
    token = ApiToken.objects.get(user=bob)
    response = client.post(reverse("accounts:token-revoke", args=[token.pk]))
    assert response.status_code == 302
    refused = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")
    # DRF answers 403 (not 401) because session authentication comes first.
    assert refused.status_code == 403 and bob.email not in refused.content.decode()
    assert "Invalid or revoked token." in refused.content.decode()
    assert AuditEvent.objects.filter(kind="token_revoked", subject=bob).exists()


def test_a_deactivated_users_token_stops_working(bob):
    _token, key = api_tokens.api_token_create(user=bob, name="cron")
    bob.is_active = False
    bob.save()
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 403


def test_a_forged_or_mistyped_key_is_refused(bob):
    _token, key = api_tokens.api_token_create(user=bob, name="cron")
    for forged in (key[:-1] + ("A" if key[-1] != "A" else "B"), "uct_" + "0" * 43, "0" * 40):
        response = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {forged}")
        assert response.status_code == 403


def test_a_token_needs_a_name_and_an_empty_name_changes_nothing(bob):
    response = signed_in(bob).post(reverse("accounts:tokens"), {"name": "   "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_charlie_cannot_revoke_or_see_bobs_token(bob, charlie):
    token, key = api_tokens.api_token_create(user=bob, name="Bob's script")
    client = signed_in(charlie)
    assert "Bob&#x27;s script" not in client.get(reverse("accounts:tokens")).content.decode()
    response = client.post(reverse("accounts:token-revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


def test_a_forged_token_id_is_404(bob):
    response = signed_in(bob).post(f"/profile/tokens/{'x' * publicid.LENGTH}/revoke/")
    assert response.status_code == 404


def test_the_token_page_takes_a_fixed_number_of_queries(bob, django_assert_max_num_queries):
    for n in range(3):
        api_tokens.api_token_create(user=bob, name=f"t{n}")
    client = signed_in(bob)
    client.get(reverse("accounts:tokens"))
    with django_assert_max_num_queries(8):
        assert client.get(reverse("accounts:tokens")).status_code == 200


def test_keys_of_drf_authtoken_are_carried_over_as_digests_and_its_table_dropped(bob):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("accounts.migrations.0006_drf_authtoken_to_api_tokens")
    old_key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id bigint, "
            "created timestamp with time zone)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s)",
            [old_key, bob.pk, "2026-01-02T00:00:00+00:00"],
        )

    class Editor:
        def __init__(self):
            self.connection = connection

        def execute(self, sql):
            with connection.cursor() as cursor:
                cursor.execute(sql)

    migration.forwards(apps, Editor())
    assert "authtoken_token" not in connection.introspection.table_names()
    token = ApiToken.objects.get(user=bob)
    assert token.digest != old_key and token.prefix == old_key[:8]
    me = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {old_key}")
    assert me.status_code == 200 and me.json()["email"] == bob.email
