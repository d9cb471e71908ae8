"""Content-Security-Policy, Permissions-Policy and the CSP report endpoint."""

import json
import logging

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def test_html_pages_carry_a_strict_script_policy(client, alice):
    client.force_login(alice)
    for path in ("/accounts/login/", "/", "/contacts/", "/api/docs/", "/admin/"):
        policy = directives(client.get(path))
        assert policy["script-src"] == ["'self'"], path  # no 'unsafe-inline', no eval
        assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["default-src"] == ["'self'"]
        assert policy["report-uri"] == ["/csp-report/"]


def test_camera_microphone_and_screen_sharing_are_for_our_own_origin_only(client):
    header = client.get("/accounts/login/")["Permissions-Policy"]
    features = dict(part.strip().split("=", 1) for part in header.split(","))
    assert features["camera"] == "(self)"
    assert features["microphone"] == "(self)"
    assert features["display-capture"] == "(self)"
    assert features["geolocation"] == "()" and features["payment"] == "()"


def report(client: Client, body: bytes, **extra):
    return client.post("/csp-report/", body, content_type="application/csp-report", **extra)


def test_a_violation_report_is_logged(client, caplog):
    body = {
        "csp-report": {
            "document-uri": "https://uc.example.com/contacts/",
            "violated-directive": "script-src-elem",
            "effective-directive": "script-src-elem",
            "blocked-uri": "inline",
        }
    }
    with caplog.at_level(logging.WARNING, logger="uc_web.csp"):
        response = report(client, json.dumps(body).encode())
    assert response.status_code == 204
    assert "CSP violation" in caplog.text and "script-src-elem" in caplog.text
    assert '"blocked-uri": "inline"' in caplog.text


def test_bad_reports_are_refused_and_log_nothing(client, caplog):
    with caplog.at_level(logging.WARNING, logger="uc_web.csp"):
        assert report(client, b"not json").status_code == 400
        assert report(client, b"[1, 2]").status_code == 400
        assert report(client, b"{" + b" " * 20_000 + b"}").status_code == 413
        assert client.get("/csp-report/").status_code == 405
    assert "CSP violation" not in caplog.text


def test_reports_from_one_address_are_limited(client, settings, caplog):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "csp_report.ip": "2/m"}
    body = json.dumps({"csp-report": {"blocked-uri": "inline"}}).encode()
    assert [report(client, body).status_code for _ in range(3)] == [204, 204, 429]
    assert report(client, body, REMOTE_ADDR="192.0.2.1").status_code == 204
