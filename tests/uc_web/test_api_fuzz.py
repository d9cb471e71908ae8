"""A property-based fuzzer over the whole API (schemathesis, from /api/schema/): whatever a
normal user or a company admin sends, no answer is a 5xx.

Each operation of the schema is one test; schemathesis generates requests that follow the
schema and requests that break it, sent by Bob (a user) and by Alice (a company admin) with
their API tokens, once with the ids it invents and once with ids of real rows Alice owns,
so updates reach the services. Bounded: `MAX_EXAMPLES` per operation, derandomized so CI
runs the same inputs every time (a different `--hypothesis-seed` with `derandomize` off
explores more: `FUZZ_EXAMPLES=200 FUZZ_RANDOM=1 pytest tests/uc_web/test_api_fuzz.py`).
Runs on PostgreSQL in CI, where text with NUL bytes or out-of-range numbers used to fail."""

import json
import os
import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, settings
from schemathesis.config import SchemathesisConfig

from accounts import api_tokens
from accounts.models import ContactRequest
from calls.models import Call
from contacts import services as contact_services
from tests.calls.factories import CallFactory
from uc_web.lib import publicid

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"


def in_test_transaction(application):
    """The WSGI application served inside the test's transaction: like Django's test
    client, the connection is not closed at the end of each request."""

    def serve(environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = application(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)

    return serve


def api_schema() -> schemathesis.schemas.BaseSchema:
    """The document /api/schema/ serves (the same generator), for the WSGI application."""
    document = OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True))
    # Schemathesis' coverage phase makes every boundary case of every field, hundreds for the
    # contact body: unbounded, so off; its examples and Hypothesis' fuzzing stay.
    config = SchemathesisConfig.from_dict(
        {"phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}}}
    )
    loaded = schemathesis.openapi.from_dict(json.loads(document), config=config)
    loaded.app = in_test_transaction(get_wsgi_application())
    return loaded


schema = api_schema()


@pytest.fixture
def world(alice, bob, charlie, settings):
    """Rows for the ids in paths, tokens for the two personas; the API's rate limits off
    (the fuzzer sends thousands of requests a minute; tests/uc_web/test_throttles.py)."""
    settings.RATE_LIMITS = {
        name: rate for name, rate in settings.RATE_LIMITS.items() if not name.startswith("api.")
    }
    book = contact_services.book_create(owner=alice, name="Suppliers")
    contact = contact_services.contact_create(
        by=alice,
        book=book,
        data=contact_services.ContactInput(given_name="Zoë", phones=[("work", "+442079460018")]),
    )
    group = contact_services.group_create(by=alice, book=book, name="Friends")
    request = ContactRequest.objects.create(sender=charlie, recipient=alice)
    call = CallFactory(
        caller=bob,
        callee=alice,
        media="audio",
        state=Call.State.RINGING,
        end_reason="",
        answered_at=None,
        ended_at=None,
    )
    ids = {
        "address-books": publicid.of(book),
        "contacts": publicid.of(contact),
        "contact-groups": publicid.of(group),
        "contact-requests": publicid.of(request),
        "calls": publicid.of(call),
        "monitor": publicid.of(bob),
        "blocks": publicid.of(bob),
    }
    tokens = {
        "user": api_tokens.api_token_create(user=bob, name="fuzz")[1],
        "company admin": api_tokens.api_token_create(user=alice, name="fuzz")[1],
    }
    return ids, tokens


def real_path_parameters(case, ids: dict[str, str]) -> dict[str, str] | None:
    """The case's path parameters with ids of real rows, where the path names a kind."""
    if not case.path_parameters:
        return None
    first = re.match(r"/api/v1/([a-z-]+)/", case.operation.path)
    real = ids.get(first[1]) if first else None
    if real is None:
        return None
    return {
        name: real if name in ("id", "pk") else value
        for name, value in case.path_parameters.items()
    }


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=not RANDOM,
    suppress_health_check=list(HealthCheck),
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: bounded even when it finds one
)
def test_no_request_makes_the_api_fail(case, world):
    ids, tokens = world
    variants = [case.path_parameters]
    if (real := real_path_parameters(case, ids)) is not None:
        variants.append(real)
    for who, token in tokens.items():
        for path_parameters in variants:
            case.path_parameters = path_parameters
            response = case.call(headers={"Authorization": f"Token {token}"})
            assert response.status_code < 500, (
                f"{who}: {case.method} {case.formatted_path} -> {response.status_code}\n"
                f"query={case.query!r} body={case.body!r}\n{response.text[:2000]}"
            )
