"""First run: the setup page creates the company and its admin, once."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Company, User

pytestmark = pytest.mark.django_db

SETUP = {
    "company_name": "Northwind Trading",
    "first_name": "Alice",
    "last_name": "Fernandez",
    "email": "Alice@Northwind.example",
    "password1": "First-passphrase-2026",
    "password2": "First-passphrase-2026",
}


def test_with_no_company_every_page_leads_to_setup(client):
    for path in ["/", "/accounts/login/", "/api/docs/", "/admin/"]:
        response = client.get(path)
        assert response.status_code == 302 and response.url == "/setup/", path


def test_healthz_works_before_setup(client):
    assert client.get("/healthz").status_code == 200


def test_setup_creates_the_company_and_signs_in_its_admin(client):
    response = client.post("/setup/", SETUP)
    assert response.status_code == 302 and response.url == "/"
    admin = User.objects.get()
    assert admin.email == "alice@northwind.example"
    assert admin.company.name == "Northwind Trading"
    assert admin.is_staff and not admin.is_superuser
    assert admin.has_perm("accounts.manage_company")
    assert list(admin.groups.values_list("name", flat=True)) == ["Company admin"]
    assert client.get("/").status_code == 200


def test_setup_is_refused_once_a_company_exists(client, company):
    response = client.post("/setup/", {**SETUP, "email": "mallory@evil.example"})
    assert response.status_code == 302 and response.url == "/"
    assert not User.objects.filter(email="mallory@evil.example").exists()
    assert Company.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"password2": "something-else-2026"}, "password2"),
        ({"password1": "12345678", "password2": "12345678"}, "password1"),
        ({"email": "not-an-email"}, "email"),
        ({"company_name": ""}, "company_name"),
    ],
)
def test_setup_with_bad_input_shows_the_error_and_creates_nothing(client, change, field):
    response = client.post("/setup/", {**SETUP, **change})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Company.objects.exists() and not User.objects.exists()


def test_seed_demo_creates_two_companies_of_named_users_and_prints_passwords(capsys):
    call_command("seed_demo", password="Demo-passphrase-2026")
    out = capsys.readouterr().out
    assert Company.objects.count() == 2
    northwind = Company.objects.get(name="Northwind Trading")
    assert northwind.users.count() >= 10
    assert all(u.first_name and u.last_name for u in User.objects.all())
    assert "Demo-passphrase-2026" in out and "alice.fernandez@northwind.example" in out
    alice = User.objects.get(email="alice.fernandez@northwind.example")
    assert alice.check_password("Demo-passphrase-2026")
    assert Group.objects.get(name="Company admin") in alice.groups.all()
    with pytest.raises(CommandError):
        call_command("seed_demo")
