"""Words the product uses one way everywhere a user reads them."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APPS = ["uc_web", "accounts", "contacts", "calls", "messaging", "crm", "diary"]
# A translated string (what users read) that spells it "e-mail".
TRANSLATED_E_MAIL = re.compile(r"""_\(\s*(["'])[^"']*\be-mail""", re.IGNORECASE)


def user_facing_files() -> list[Path]:
    files = [
        *ROOT.joinpath("templates").rglob("*.html"),
        *ROOT.joinpath("templates").rglob("*.txt"),
    ]
    files += list(ROOT.joinpath("static", "js").rglob("*.js"))
    for app in APPS:
        # Not models.py: a field's label or help text changes only with a migration, and
        # the one left (User.invited_at's help text) is shown nowhere.
        files += [
            p
            for p in ROOT.joinpath(app).rglob("*.py")
            if "migrations" not in p.parts and p.name != "models.py"
        ]
    return files


def test_email_is_spelled_one_way_in_everything_users_read():
    offenders = []
    for path in user_facing_files():
        text = path.read_text()
        if path.suffix == ".py":
            found = TRANSLATED_E_MAIL.search(text)
        else:
            found = re.search(r"\be-mail", text, re.IGNORECASE)
        if found:
            offenders.append(f"{path.relative_to(ROOT)}: {found.group(0)}")
    assert offenders == []


def test_the_api_docs_spell_it_the_same_way():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("spectacular", stdout=out)
    assert "e-mail" not in out.getvalue().lower()


def test_the_sign_in_page_has_one_forgot_your_password_link(client, company):
    page = client.get("/accounts/login/").content.decode()
    assert page.count("Forgot your password?") == 1
    assert "Forgotten" not in page and "Remember Me" not in page
