"""Shared set-up of the contacts benchmarks: a PostgreSQL database of their own, migrated."""

import os
import random
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_contacts"

FIRST = [
    "Ada",
    "Zoë",
    "James",
    "Łukasz",
    "Inês",
    "Søren",
    "Aiko",
    "Olumide",
    "Chen",
    "Marta",
    "Noah",
    "Amélie",
    "Ravi",
    "Fatima",
    "Jonas",
    "Elena",
    "Kofi",
    "Yuki",
    "Liam",
    "Sofia",
]
LAST = [
    "Lovelace",
    "Ménard",
    "O'Neill",
    "Kowalski",
    "Ferreira",
    "Kierkegaard",
    "Tanaka",
    "Adeyemi",
    "Wei",
    "Nowak",
    "Smith",
    "Müller",
    "García",
    "Rossi",
    "Okafor",
    "Dubois",
    "Jensen",
    "Silva",
    "Novak",
    "Murphy",
]
COMPANIES = [
    "Café Lumière SARL",
    "Harbour & Co",
    "Acme Widgets Inc.",
    "Sakura Trading",
    "Lagos Fintech Ltd",
    "Lisboa Design Lda.",
    "Northwind",
    "Blue Harbour",
    "Globex",
    "Initech",
]


def setup_django() -> str:
    """Point Django at the benchmark database (created if missing) and migrate it."""
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        sys.exit("The contacts benchmarks measure PostgreSQL: set DATABASE_URL=postgres://…")
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)  # tasks run in this process; no broker needed
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "uc_web.settings")
    sys.path.insert(0, str(ROOT))
    from _server import production_environment

    production_environment()  # what production runs: DEBUG off
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return name


def fresh_user(email: str):
    """A user of a benchmark company, with all their earlier benchmark data removed."""
    from django.db import connection

    from accounts.models import Company, User

    # Raw deletes: the ORM's cascade would load 100,000 contacts first.
    with connection.cursor() as cursor:
        for table in ("contacts_phone", "contacts_email", "contacts_address"):
            cursor.execute(
                f"DELETE FROM {table} WHERE contact_id IN (SELECT c.id FROM contacts_contact c "  # noqa: S608
                "JOIN accounts_user u ON u.id = c.owner_id WHERE u.email = %s)",
                [email],
            )
        cursor.execute(
            "DELETE FROM contacts_contact WHERE owner_id IN "
            "(SELECT id FROM accounts_user WHERE email = %s)",
            [email],
        )
    User.objects.filter(email=email).delete()
    company, _ = Company.objects.get_or_create(name="Benchmark Ltd")
    return User.objects.create_user(
        email=email, password=None, company=company, first_name="Bench", last_name="Mark"
    )


def person(rng: random.Random, n: int) -> dict:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return {
        "first": first,
        "last": f"{last}{n}",
        "company": rng.choice(COMPANIES),
        "email": f"{first.lower()}.{n}@example{n % 97}.org".encode("ascii", "ignore").decode(),
        "mobile": f"+44 7400 {rng.randint(100000, 999999)}",
        "work": f"020 7946 {rng.randint(0, 9999):04d}",
        "n": n,
    }
