"""The inbox of a user holding 50,000 messages, on PostgreSQL with Redis and DEBUG off:
server time of the folder list with unread counts and the first page, measured in-process
around the full request (middleware, view, queries, template or serialiser).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_msg REDIS_URL=redis://127.0.0.1:6379/3 \\
        .venv/bin/python bench/messages_inbox.py [--messages 50000] [--requests 500]

The database is migrated and the benchmark's users are made afresh on each run.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres") or not os.environ.get("REDIS_URL"):
        sys.exit("Set DATABASE_URL=postgres://… and REDIS_URL=redis://… (see the docstring)")
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from _server import production_environment

    production_environment()  # DEBUG off, a key for this run, quiet logs
    os.environ["DJANGO_SETTINGS_MODULE"] = "uc_web.settings"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ["DJANGO_HTTPS"] = "0"
    # one user asking thousands of times a minute: the API's per-user limit (600/m) would
    # answer 429; this measures the server's time, not the limit
    os.environ.setdefault("RATE_LIMITS", "api.read.user=100000/m,api.read.ip=100000/m")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off: the manifest


def percentile(times: list[float], fraction: float) -> float:
    ordered = sorted(times)
    return ordered[max(0, int(len(ordered) * fraction + 0.5) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--reuse", action="store_true", help="keep the last run's messages")
    args = parser.parse_args()
    setup_django()

    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Company, User
    from accounts.services import profile_create
    from messaging.models import Delivery, Message

    assert not settings.DEBUG
    bob = User.objects.filter(email="bob@bench-inbox.example").first()
    if args.reuse and bob is not None:
        measure(bob, args.requests)
        return
    # the last run's messages first: deleting their sender would empty `sender`, which a
    # text message may not have (message_sender_unless_reminder)
    Message.objects.filter(deliveries__owner__email__endswith="@bench-inbox.example").delete()
    User.objects.filter(email__endswith="@bench-inbox.example").delete()
    company = Company.objects.create(name="Bench Inbox Ltd")
    alice = User.objects.create_user("alice@bench-inbox.example", "pw", company=company)
    bob = User.objects.create_user("bob@bench-inbox.example", "pw", company=company)
    for user in (alice, bob):
        profile_create(user=user)
    rng = random.Random(14)
    kinds = ["text"] * 6 + ["voice", "video", "reminder"]
    started = time.perf_counter()
    now = timezone.now()
    batch = 5000
    for offset in range(0, args.messages, batch):
        with transaction.atomic():
            rows = []
            for i in range(offset, min(args.messages, offset + batch)):
                kind = rng.choice(kinds)
                rows.append(
                    Message(
                        kind=kind,
                        sender=None if kind == "reminder" else alice,
                        subject=f"Subject {i}",
                        body=f"Message number {i} https://example.com/{i}",
                        created_at=now - timezone.timedelta(minutes=args.messages - i),
                        duration_ms=30_000 if kind in ("voice", "video") else 0,
                    )
                )
            Message.objects.bulk_create(rows)
            deliveries = []
            for m in rows:
                deliveries.append(
                    Delivery(
                        message=m,
                        owner=bob,
                        box="inbox",
                        kind=m.kind,
                        created_at=m.created_at,
                        read_at=None if rng.random() < 0.2 else now,
                        deleted_at=now if rng.random() < 0.05 else None,
                    )
                )
                if m.sender_id:
                    deliveries.append(
                        Delivery(
                            message=m,
                            owner=alice,
                            box="sent",
                            kind=m.kind,
                            created_at=m.created_at,
                            read_at=now,
                        )
                    )
            Delivery.objects.bulk_create(deliveries)
    with connection.cursor() as cursor:
        # what autovacuum does soon after such a load in production: statistics, and the
        # visibility map that lets index-only scans (the unread counts) skip the rows
        cursor.execute("VACUUM ANALYZE messaging_message")
        cursor.execute("VACUUM ANALYZE messaging_delivery")
    print(f"made {args.messages} messages in {time.perf_counter() - started:.1f} s")
    measure(bob, args.requests)


def measure(bob: object, requests: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from messaging.models import Delivery

    held = Delivery.objects.filter(owner=bob).count()
    print(f"bob holds {held} messages")
    client = Client()
    client.force_login(bob)
    targets = {
        # a floor: the same middleware, session and sign-in, then a 404 before any query of
        # the view (what the machine's load costs a request that does no work)
        "floor: unknown folder (API, 404)": "/api/v1/messages/?folder=none",
        "folders + counts (API)": "/api/v1/messages/folders/",
        "first page of the inbox (API)": "/api/v1/messages/?folder=inbox",
        "inbox page (folders, counts, first 50 rows)": "/messages/",
        "text folder page": "/messages/folder/text/",
        "trash page": "/messages/folder/trash/",
    }
    print(f"{requests} requests each, after 20 warm-up requests; times in ms")
    print("| request | queries | p50 | p95 | p99 | max |")
    print("|---|---|---|---|---|---|")
    for label, url in targets.items():
        expected = 404 if label.startswith("floor") else 200
        for _ in range(20):
            assert client.get(url).status_code == expected
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        times = []
        for _ in range(requests):
            t0 = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == expected
        print(
            f"| {label} `{url}` | {len(queries)} | {statistics.median(times):.1f} | "
            f"{percentile(times, 0.95):.1f} | {percentile(times, 0.99):.1f} | {max(times):.1f} |"
        )


if __name__ == "__main__":
    main()
