"""The settings a fresh start reads from the environment (each case in its own process)."""

import json
import os
import subprocess
import sys

from django.conf import settings

SHOW = (
    "from django.conf import settings as s; import json; print(json.dumps({"
    "'debug': s.DEBUG, 'https': s.HTTPS, 'redirect': s.SECURE_SSL_REDIRECT, "
    "'hsts': s.SECURE_HSTS_SECONDS, 'secure_cookie': s.SESSION_COOKIE_SECURE, "
    "'key': s.SECRET_KEY}))"
)


def read_settings(tmp_path, **env: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    base.update(DJANGO_SETTINGS_MODULE="uc_web.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {SHOW}"],
        cwd=settings.BASE_DIR,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_embedded_default_runs_without_debug_and_keeps_one_generated_key(tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SECRET_KEY_FILE": str(tmp_path / "secret-key"),
    }
    first = json.loads(read_settings(tmp_path, **env).stdout)
    again = json.loads(read_settings(tmp_path, **env).stdout)
    assert first["debug"] is False and first["key"] == again["key"]
    assert (tmp_path / "secret-key").read_text().strip() == first["key"]
    # plain http on loopback: no redirect, no HSTS, cookies work over http
    assert (first["https"], first["redirect"], first["hsts"], first["secure_cookie"]) == (
        False,
        False,
        0,
        False,
    )


def test_a_shared_database_without_a_secret_key_refuses_to_start(tmp_path):
    result = read_settings(tmp_path, DATABASE_URL="postgres://uc@127.0.0.1:5432/uc")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_a_public_host_name_turns_on_https_protections(tmp_path):
    result = read_settings(
        tmp_path,
        DATABASE_URL="postgres://uc@127.0.0.1:5432/uc",
        DJANGO_SECRET_KEY="x" * 60,
        DJANGO_ALLOWED_HOSTS="uc.example.com",
    )
    shown = json.loads(result.stdout)
    assert (shown["https"], shown["redirect"], shown["hsts"], shown["secure_cookie"]) == (
        True,
        True,
        31536000,
        True,
    )


def test_a_malformed_rate_limit_refuses_to_start(tmp_path):
    result = read_settings(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_SECRET_KEY_FILE=str(tmp_path / "secret-key"),
        RATE_LIMITS="api.search.user=lots",
    )
    assert result.returncode != 0
    assert "RATE_LIMITS api.search.user: 'lots' is not a rate" in result.stderr
