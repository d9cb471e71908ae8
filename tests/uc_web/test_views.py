"""Health check, API plumbing, the shell's pages and what they load."""

import re

import pytest
from django.test import override_settings

from accounts import api_tokens

pytestmark = pytest.mark.django_db


def test_healthz_reports_each_part(client, company, settings):
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok" and body["checks"]["channel_layer"] == "ok"
    assert ("redis" in body["checks"]) == bool(settings.REDIS_URL)


def test_healthz_says_503_when_the_channel_layer_is_down(client, company):
    dead = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:9/0"]},
        }
    }
    from channels.layers import channel_layers

    with override_settings(CHANNEL_LAYERS=dead):
        channel_layers.backends.clear()
        response = client.get("/healthz")
    channel_layers.backends.clear()
    assert response.status_code == 503
    assert response.json()["checks"]["channel_layer"] == "error"


def test_me_requires_a_signed_in_user(client, company):
    assert client.get("/api/v1/me/").status_code == 403


def test_me_tells_alice_about_herself_only(client, alice, charlie):
    client.force_login(alice)
    me = client.get("/api/v1/me/").json()
    assert me["email"] == alice.email and me["company"] == "Northwind Trading"
    assert me["roles"] == ["Company admin"]
    assert "charlie" not in str(me)


def test_a_token_authenticates_api_calls(client, bob):
    _token, key = api_tokens.api_token_create(user=bob, name="script")
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.json()["email"] == bob.email
    forged = client.get("/api/v1/me/", HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert forged.status_code in (401, 403) and bob.email not in forged.content.decode()


def test_the_openapi_schema_and_docs_are_served_without_internet(client, alice):
    client.force_login(alice)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/v1/me/" in schema.content
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    assert not re.search(r"(src|href)=\"https?://", docs)


def test_pages_load_no_script_or_style_from_elsewhere(client, alice):
    client.force_login(alice)
    for path in [
        "/",
        "/help/",
        "/help/connection/",
        "/diary/",
        "/messages/",
        "/messages/new/",
        "/accounts/password/change/",
    ]:
        html = client.get(path).content.decode()
        assert not re.search(r"(src|href)=\"(https?:)?//", html), path


def test_signed_in_pages_carry_the_live_connection(client, alice):
    client.force_login(alice)
    html = client.get("/").content.decode()
    assert 'data-live-url="/ws/"' in html and "js/app.js" in html
    assert "data-live-status" in html


def test_every_page_loads_one_script_in_its_head_and_none_in_its_body(client, alice):
    """Page scripts are controllers of the one module (docs/realtime.md): a script tag in a
    page's body would run on its first visit only."""
    client.force_login(alice)
    for path in ["/", "/contacts/", "/calls/", "/messages/", "/profile/", "/monitor/", "/help/"]:
        html = client.get(path).content.decode()
        head, body = html.split("<body", 1)
        assert re.findall(r"<script[^>]*src=\"([^\"]+)\"", head) == ["/static/js/app.js"], path
        assert "<script" not in body, path


def test_signed_out_pages_load_in_full_and_signed_in_ones_keep_the_page(client, alice):
    html = client.get("/accounts/login/").content.decode()
    assert '<meta name="turbo-visit-control" content="reload">' in html
    client.force_login(alice)
    html = client.get("/").content.decode()
    assert "turbo-visit-control" not in html
    assert 'data-turbo="false"' in html  # sign-out


def test_the_home_page_leads_to_every_built_section_and_marks_the_rest(client, alice):
    client.force_login(alice)
    html = client.get("/").content.decode()
    cards = re.findall(r'<a class="card card-body[^"]*" href="([^"]+)"', html)
    assert cards == [
        "/contacts/",
        "/monitor/",
        "/calls/",
        "/messages/",
        "/diary/",
        "/soon/crm/",
    ]


def test_anonymous_visitors_are_sent_to_sign_in(client, company):
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_unknown_sections_and_help_topics_are_404(client, alice):
    client.force_login(alice)
    assert client.get("/soon/../admin/").status_code == 404
    assert client.get("/help/nope/").status_code == 404


@override_settings(DEBUG=False)
def test_a_missing_page_shows_our_404(client, alice):
    client.force_login(alice)
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "Page not found" in response.content.decode()


def test_the_openapi_schema_builds_without_warnings(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.yml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    assert "/api/v1/contacts/{id}/" in target.read_text()


@pytest.mark.parametrize("name", ["favicon.ico", "apple-touch-icon.png"])
def test_the_icons_browsers_ask_for_at_the_root_exist_even_before_setup(client, name):
    response = client.get(f"/{name}")
    assert response.status_code == 301 and response["Location"] == f"/static/{name}"
    assert client.get(response["Location"]).status_code == 200


def test_every_page_names_its_icon(client, alice):
    client.force_login(alice)
    page = client.get("/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in page
    admin = client.get("/admin/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in admin


@override_settings(DEBUG=False)
def test_a_server_error_shows_our_500_page(client, monkeypatch):
    def broken() -> bool:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("accounts.selectors.company_exists", broken)
    client.raise_request_exception = False
    response = client.get("/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page and "RuntimeError" not in page
