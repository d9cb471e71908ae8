"""Personas and shared fixtures: alice and bob work at Northwind, charlie at Blue Harbour."""

import uuid

import pytest

from tests.accounts.factories import PASSWORD, CompanyFactory, UserFactory

pytest_plugins = ["tests.fixtures.live", "tests.fixtures.sockets", "tests.fixtures.relay"]


@pytest.fixture(autouse=True)
def own_rate_limits(monkeypatch):
    """Each test counts against the rate limits afresh (its own cache keys)."""
    from uc_web.lib import ratelimit

    monkeypatch.setattr(ratelimit, "KEY_PREFIX", f"rl-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def company(db):
    # A UK company: numbers typed without a country code are British unless a person
    # sets their own dialling country.
    return CompanyFactory(name="Northwind Trading", default_dialling_country="GB")


@pytest.fixture
def other_company(db):
    return CompanyFactory(name="Blue Harbour Logistics")


@pytest.fixture
def alice(company):
    """Company admin of Northwind."""
    return UserFactory(
        company=company,
        email="alice@northwind.example",
        first_name="Alice",
        last_name="Fernandez",
        roles=["Company admin"],
    )


@pytest.fixture
def bob(company):
    return UserFactory(
        company=company, email="bob@northwind.example", first_name="Bob", last_name="Okafor"
    )


@pytest.fixture
def charlie(other_company):
    """Company admin of another company: must never reach Northwind's data."""
    return UserFactory(
        company=other_company,
        email="charlie@blueharbour.example",
        first_name="Charlie",
        last_name="Nguyen",
        roles=["Company admin"],
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running in this thread
    for the rest of the session, which async (Channels) tests cannot share."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
