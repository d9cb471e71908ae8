"""Search as you type over 100,000 contacts on PostgreSQL: p50/p95 server time of the
search endpoint (/api/v1/contacts/search/), measured in-process around the full request
(middleware, view, queries, serialisation).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_contacts \\
        .venv/bin/python bench/contacts_search.py [--contacts 100000] [--requests 500]
"""

import argparse
import random
import statistics
import time

from _contacts_setup import FIRST, LAST, fresh_user, person, setup_django

KINDS = [
    "first name start",
    "surname start",
    "full name",
    "surname and number",
    "company word",
    "mobile fragment",
    "national number",
    "international number",
]


def queries(rng: random.Random, count: int, contacts: int) -> list[tuple[str, str]]:
    """What people type, with its kind: name starts, full names, company words, numbers."""
    made = []
    for _ in range(count):
        n = rng.randrange(contacts)
        kind = rng.randrange(len(KINDS))
        if kind == 0:
            q = rng.choice(FIRST).lower()[:3]
        elif kind == 1:
            q = rng.choice(LAST)[:5]
        elif kind == 2:
            q = f"{rng.choice(FIRST)} {rng.choice(LAST)}{n}"
        elif kind == 3:
            q = f"{rng.choice(LAST).lower()}{n}"
        elif kind == 4:
            q = rng.choice(["harbour", "lumiere", "acme wid", "sakura"])
        elif kind == 5:
            q = f"7400 {rng.randint(100, 999)}"
        elif kind == 6:
            q = f"020-7946-{rng.randint(0, 9999):04d}"
        else:
            q = f"+44 20 7946 {rng.randint(0, 9999):04d}"
        made.append((KINDS[kind], q))
    return made


def percentile(times: list[float], fraction: float) -> float:
    ordered = sorted(times)
    return ordered[max(0, int(len(ordered) * fraction + 0.5) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    database = setup_django()

    from django.db import connection, transaction
    from django.test import Client

    from contacts import importing, services
    from contacts.formats import records
    from contacts.models import Contact

    user = fresh_user("bench-search@example.org")
    books = [services.book_ensure_default(user=user)]
    books += [services.book_create(owner=user, name=f"Book {i}") for i in range(2)]
    rng = random.Random(100)
    started = time.perf_counter()
    batch: list[records.ContactData] = []
    for n in range(args.contacts):
        p = person(rng, n)
        parsed = records.ParsedContact(
            line=n,
            given_name=p["first"],
            family_name=p["last"],
            company=p["company"],
            emails=[("work", p["email"])],
            phones=[("mobile", p["mobile"]), ("work", p["work"])],
        )
        batch.append(records.clean(parsed, "GB"))
        if len(batch) == 2000 or n == args.contacts - 1:
            with transaction.atomic():
                importing._create_contacts(user, books[n % 3], batch, {})
            batch = []
    with connection.cursor() as cursor:
        # What autovacuum does after a bulk load (and the deletes of an earlier run); without
        # it the planner misjudges the tables and index scans wade through dead rows.
        for table in ("contacts_contact", "contacts_phone", "contacts_email", "contacts_address"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    loaded = Contact.objects.filter(owner=user).count()
    print(f"database: PostgreSQL {connection.pg_version // 10000} ({database})")
    print(f"loaded {loaded:,} contacts in {time.perf_counter() - started:.0f} s")

    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    warm = queries(random.Random(1), 30, args.contacts)
    timed = queries(random.Random(2), args.requests, args.contacts)
    for _kind, q in warm:
        assert client.get("/api/v1/contacts/search/", {"q": q}).status_code == 200
    times: list[float] = []
    by_kind: dict[str, list[float]] = {}
    found: list[int] = []
    for kind, q in timed:
        started = time.perf_counter()
        response = client.get("/api/v1/contacts/search/", {"q": q})
        elapsed = (time.perf_counter() - started) * 1000
        times.append(elapsed)
        by_kind.setdefault(kind, []).append(elapsed)
        assert response.status_code == 200
        found.append(len(response.json()["contacts"]))
    print(f"{len(times)} searches, {sum(1 for f in found if f)} with results")
    print(
        f"all: p50 {statistics.median(times):.1f} ms, p95 {percentile(times, 0.95):.1f} ms, "
        f"max {max(times):.1f} ms"
    )
    for kind in KINDS:
        part = by_kind.get(kind, [])
        if part:
            print(
                f"  {kind:<22} n={len(part):3}  p50 {statistics.median(part):6.1f} ms  "
                f"p95 {percentile(part, 0.95):6.1f} ms"
            )

    explain = {
        "search_text LIKE '%menard%'": "EXPLAIN SELECT id FROM contacts_contact "
        "WHERE owner_id = %s AND deleted_at IS NULL AND search_text LIKE '%%menard%%' "
        "ORDER BY display_name LIMIT 20",
        "search_phones LIKE '%79460018%'": "EXPLAIN SELECT id FROM contacts_contact "
        "WHERE owner_id = %s AND deleted_at IS NULL AND search_phones LIKE '%%79460018%%' "
        "ORDER BY display_name LIMIT 20",
    }
    for label, sql in explain.items():
        with connection.cursor() as cursor:
            cursor.execute(sql, [user.pk])
            plan = " / ".join(row[0].strip() for row in cursor.fetchall())
        print(f"plan for {label}: {plan}")


if __name__ == "__main__":
    main()
