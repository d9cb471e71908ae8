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


def queries(rng: random.Random, count: int, contacts: int) -> list[str]:
    """What people type: name fragments, full names, e-mail and company parts, numbers."""
    made = []
    for _ in range(count):
        n = rng.randrange(contacts)
        kind = rng.randrange(8)
        if kind == 0:
            made.append(rng.choice(FIRST).lower()[:3])
        elif kind == 1:
            made.append(rng.choice(LAST)[:5])
        elif kind == 2:
            made.append(f"{rng.choice(FIRST)} {rng.choice(LAST)}{n}")
        elif kind == 3:
            made.append(f"{rng.choice(LAST).lower()}{n}")
        elif kind == 4:
            made.append(rng.choice(["harbour", "lumiere", "acme wid", "sakura"]))
        elif kind == 5:
            made.append(f"7700 {rng.randint(100, 999)}")
        elif kind == 6:
            made.append(f"020-7946-{rng.randint(0, 9999):04d}")
        else:
            made.append(f"+44 20 7946 {rng.randint(0, 9999):04d}")
    return made


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
        # What autovacuum does after a bulk load; without it the planner scans whole tables.
        for table in ("contacts_contact", "contacts_phone", "contacts_email", "contacts_address"):
            cursor.execute(f"ANALYZE {table}")
    loaded = Contact.objects.filter(owner=user).count()
    print(f"database: PostgreSQL {connection.pg_version // 10000} ({database})")
    print(f"loaded {loaded:,} contacts in {time.perf_counter() - started:.0f} s")

    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    warm = queries(random.Random(1), 30, args.contacts)
    timed = queries(random.Random(2), args.requests, args.contacts)
    for q in warm:
        assert client.get("/api/v1/contacts/search/", {"q": q}).status_code == 200
    times: list[float] = []
    found: list[int] = []
    for q in timed:
        started = time.perf_counter()
        response = client.get("/api/v1/contacts/search/", {"q": q})
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
        found.append(len(response.json()["contacts"]))
    times.sort()
    p50 = statistics.median(times)
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"{len(times)} searches, {sum(1 for f in found if f)} with results")
    print(f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms")

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
