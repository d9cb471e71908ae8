"""Diary benchmarks on PostgreSQL with DEBUG off.

month:  the month view (/diary/?view=month) of a user with 5,000 appointments, 200 of them
        recurring (daily, weekly, monthly, with exceptions and moved occurrences): server
        time per request, measured in-process around the full request (middleware, view,
        two queries, expansion, template), over many months of the two years they span.
import: import of a 10,000-event .ics file (200 series with EXDATEs and overrides, the
        rest single events in three zones, VTIMEZONE blocks, alarms): events/s and peak
        memory (tracemalloc), against icalendar parsing the same file alone, each run in a
        fresh process of its own (the baseline never shares a process with the import).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_diary \\
    REDIS_URL=redis://127.0.0.1:6379/4 \\
        .venv/bin/python bench/diary_bench.py month [--requests 400]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_diary \\
        .venv/bin/python bench/diary_bench.py import [--events 10000] [--runs 5]
"""

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_diary"
ICS = Path("/tmp") / "bench_diary_10000.ics"  # noqa: S108 - a scratch file of the benchmark
UTC = dt.UTC


def percentile(times: list[float], fraction: float) -> float:
    ordered = sorted(times)
    return ordered[max(0, int(len(ordered) * fraction + 0.5) - 1)]


def setup_django() -> str:
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        sys.exit("The diary benchmarks measure PostgreSQL: set DATABASE_URL=postgres://…")
    os.environ["DATABASE_URL"] = url
    # REDIS_URL, when given, is used as production uses it (cache, sessions' cache,
    # channel layer); the month view's own work does not depend on it.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "uc_web.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _server import production_environment

    production_environment()  # as production: DEBUG off, no query log, no debug templates
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + "x" * 60)
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost")
    os.environ.setdefault("DJANGO_HTTPS", "0")
    sys.path.insert(0, str(ROOT))
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off: the manifest
    return name


def fresh_user(email: str):
    from accounts.models import Company, User

    User.objects.filter(email=email).delete()  # cascades to the diary's rows
    company, _ = Company.objects.get_or_create(name="Benchmark Ltd")
    user = User.objects.create_user(
        email=email, password=None, company=company, first_name="Bench", last_name="Mark"
    )
    from accounts.models import Profile

    Profile.objects.update_or_create(user=user, defaults={"time_zone": "Europe/London"})
    return User.objects.get(pk=user.pk)


# --- month view -------------------------------------------------------------------------


def load_month_data(user, total: int, recurring: int) -> None:
    """`total` appointments over 2026-2027, `recurring` of them series: a third daily
    (for 2 to 8 weeks), a third weekly on 1-3 weekdays, a third monthly (by date or "second
    Tuesday"), each with 2 exceptions and 1 moved occurrence where it has enough."""
    from diary import recurrence, services
    from diary.models import Appointment

    rng = random.Random(17)
    zones = ["Europe/London", "America/New_York", "Europe/Berlin"]
    rows = []
    begin = dt.datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(total - recurring):
        start = begin + dt.timedelta(days=rng.randrange(730), minutes=15 * rng.randrange(32, 76))
        rows.append(
            Appointment(
                owner=user,
                title=f"Meeting {n}",
                location=rng.choice(["", "Room 1", "Berlin HQ"]),
                start=start,
                end=start + dt.timedelta(minutes=rng.choice([30, 60, 90])),
                time_zone=rng.choice(zones),
                all_day=False,
                reminders=[15],
            )
        )
    Appointment.objects.bulk_create(rows, batch_size=1000)
    for n in range(recurring):
        zone = rng.choice(zones)
        day = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(700))
        local = dt.datetime.combine(day, dt.time(rng.randrange(8, 17), 0))
        start = local.replace(tzinfo=recurrence.zone(zone)).astimezone(UTC)
        kind = n % 3
        if kind == 0:
            rule = f"FREQ=DAILY;COUNT={rng.randrange(14, 57)}"
        elif kind == 1:
            days = rng.sample(recurrence.WEEKDAYS[:5], rng.randrange(1, 4))
            rule = "FREQ=WEEKLY;BYDAY=" + ",".join(days)
        else:
            rule = rng.choice(["FREQ=MONTHLY", "FREQ=MONTHLY;BYDAY=2TU"])
        series = services.appointment_create(
            owner=user,
            title=f"Series {n}",
            start=start,
            end=start + dt.timedelta(minutes=45),
            time_zone=zone,
            rrule=rule,
        )
        starts = recurrence.occurrence_starts(
            rule=series.rrule,
            start=series.start,
            end=series.end,
            time_zone=zone,
            all_day=False,
            range_start=series.start,
            range_end=series.start + dt.timedelta(days=400),
        )
        if len(starts) >= 6:
            for when in (starts[2], starts[4]):
                services.appointment_delete(
                    appointment=series, by=user, scope="this", occurrence=when
                )
            services.appointment_update(
                appointment=series,
                by=user,
                scope="this",
                occurrence=starts[5],
                changes={
                    "start": starts[5] + dt.timedelta(hours=2),
                    "end": starts[5] + dt.timedelta(hours=3),
                },
            )


def month(args: argparse.Namespace) -> None:
    database = setup_django()
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from diary.models import Appointment

    user = User.objects.filter(email="bench-diary@example.org").first()
    started = time.perf_counter()
    if not (
        args.reuse
        and user
        and Appointment.objects.filter(owner=user, series__isnull=True).count() == args.appointments
    ):
        user = fresh_user("bench-diary@example.org")
        load_month_data(user, args.appointments, args.recurring)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE diary_appointment")
    heads = Appointment.objects.filter(owner=user, series__isnull=True)
    print(
        f"database: PostgreSQL {connection.pg_version // 10000} ({database}), "
        f"Redis: {os.environ.get('REDIS_URL') or 'no (in-memory cache)'}"
    )
    print(
        f"loaded {heads.count():,} appointments ({heads.exclude(rrule='').count()} recurring, "
        f"{Appointment.objects.filter(owner=user, series__isnull=False).count()} moved "
        f"occurrences) in {time.perf_counter() - started:.0f} s"
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    months = [dt.date(2026 + m // 12, m % 12 + 1, 1) for m in range(24)]
    for m in months[:6]:
        assert client.get("/diary/", {"view": "month", "date": m.isoformat()}).status_code == 200
    executed: list[str] = []

    def count(execute, sql, params, many, context):  # noqa: ANN001 - Django's wrapper API
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get("/diary/", {"view": "month", "date": "2026-06-01"})
    times, cpu, shown = [], [], []
    for i in range(args.requests):
        m = months[i % len(months)]
        t0, c0 = time.perf_counter(), time.process_time()
        response = client.get("/diary/", {"view": "month", "date": m.isoformat()})
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        assert response.status_code == 200
        if i < len(months):
            shown.append(response.content.count(b"data-event "))
    print(f"queries per month view (all of the request): {len(executed)}")
    print(f"events drawn per month: median {statistics.median(shown):.0f}, max {max(shown)}")
    print(
        f"month view, {len(times)} requests: p50 {statistics.median(times):.1f} ms, "
        f"p95 {percentile(times, 0.95):.1f} ms, p99 {percentile(times, 0.99):.1f} ms, "
        f"max {max(times):.1f} ms"
    )
    print(
        f"  CPU time of this process per request: p50 {statistics.median(cpu):.1f} ms, "
        f"p95 {percentile(cpu, 0.95):.1f} ms, p99 {percentile(cpu, 0.99):.1f} ms"
    )
    api = []
    for i in range(args.requests):
        m = months[i % len(months)]
        end = (m + dt.timedelta(days=42)).isoformat()
        t0 = time.perf_counter()
        response = client.get("/api/v1/diary/occurrences/", {"start": m.isoformat(), "end": end})
        api.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    print(
        f"occurrences API (6 weeks), {len(api)} requests: p50 {statistics.median(api):.1f} ms, "
        f"p95 {percentile(api, 0.95):.1f} ms, p99 {percentile(api, 0.99):.1f} ms"
    )


# --- import -----------------------------------------------------------------------------

VTIMEZONES = """BEGIN:VTIMEZONE
TZID:Europe/London
BEGIN:DAYLIGHT
TZOFFSETFROM:+0000
TZOFFSETTO:+0100
TZNAME:BST
DTSTART:19700329T010000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0100
TZOFFSETTO:+0000
TZNAME:GMT
DTSTART:19701025T020000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16011028T030000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010325T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
"""


def make_ics(events: int, series: int) -> bytes:
    rng = random.Random(10)
    zones = ["Europe/London", "W. Europe Standard Time", "UTC"]
    out = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//diary//EN", VTIMEZONES.strip()]
    singles = events - series * 2  # each series comes with one override
    for n in range(series):
        zone = zones[n % 2]
        day = dt.datetime(2026, 1, 5) + dt.timedelta(days=rng.randrange(300))  # noqa: DTZ001
        start = day.replace(hour=9)
        first = start + dt.timedelta(days=7)
        out += [
            "BEGIN:VEVENT",
            f"UID:series-{n}@bench",
            f'DTSTART;TZID="{zone}":{start:%Y%m%dT%H%M%S}',
            f'DTEND;TZID="{zone}":{start + dt.timedelta(hours=1):%Y%m%dT%H%M%S}',
            f"RRULE:FREQ=WEEKLY;COUNT={rng.randrange(10, 60)}",
            f'EXDATE;TZID="{zone}":{start + dt.timedelta(days=14):%Y%m%dT%H%M%S}',
            f"SUMMARY:Series {n} – weekly",
            "DTSTAMP:20261101T120000Z",
            "BEGIN:VALARM",
            "TRIGGER:-PT15M",
            "ACTION:DISPLAY",
            "DESCRIPTION:Reminder",
            "END:VALARM",
            "END:VEVENT",
            "BEGIN:VEVENT",
            f"UID:series-{n}@bench",
            f'RECURRENCE-ID;TZID="{zone}":{first:%Y%m%dT%H%M%S}',
            f'DTSTART;TZID="{zone}":{first + dt.timedelta(hours=2):%Y%m%dT%H%M%S}',
            f'DTEND;TZID="{zone}":{first + dt.timedelta(hours=3):%Y%m%dT%H%M%S}',
            f"SUMMARY:Series {n} (moved)",
            "DTSTAMP:20261101T120000Z",
            "END:VEVENT",
        ]
    for n in range(singles):
        zone = zones[n % 3]
        start = dt.datetime(2026, 1, 1) + dt.timedelta(  # noqa: DTZ001 - the file's wall clock
            days=rng.randrange(730), minutes=15 * rng.randrange(32, 76)
        )
        when = (
            f"DTSTART:{start:%Y%m%dT%H%M%S}Z\r\n"
            f"DTEND:{start + dt.timedelta(hours=1):%Y%m%dT%H%M%S}Z"
            if zone == "UTC"
            else f'DTSTART;TZID="{zone}":{start:%Y%m%dT%H%M%S}\r\n'
            f'DTEND;TZID="{zone}":{start + dt.timedelta(hours=1):%Y%m%dT%H%M%S}'
        )
        out += [
            "BEGIN:VEVENT",
            f"UID:single-{n}@bench",
            when,
            f"SUMMARY:Meeting {n} with Zoë about the Q{n % 4 + 1} numbers",
            f"LOCATION:Room {n % 40}",
            "DESCRIPTION:Agenda:\\n1. Figures\\n2. Hiring\\, budget and a rather long line "
            "that an exporter folds at seventy-five octets like this one",
            "DTSTAMP:20261101T120000Z",
            "END:VEVENT",
        ]
    out.append("END:VCALENDAR")
    import icalendar

    # Folded as real exporters fold (icalendar writes 75-octet lines).
    return icalendar.Calendar.from_ical("\r\n".join(out) + "\r\n").to_ical()


def import_child(mode: str) -> None:
    """One timed run in this fresh process; prints JSON."""
    data = ICS.read_bytes()
    if mode == "parse":
        import icalendar

        tracemalloc.start()
        t0 = time.perf_counter()
        cal = icalendar.Calendar.from_ical(data.decode("utf-8"))
        events = len(cal.walk("VEVENT"))
        elapsed = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
    else:
        setup_django()
        from diary import ical

        user = fresh_user("bench-diary-import@example.org")
        tracemalloc.start()
        t0 = time.perf_counter()
        result = ical.import_calendar(user=user, data=data, time_zone="Europe/London")
        elapsed = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        events = result.created + result.updated
        assert not result.skipped, result.skipped[:3]
    print(json.dumps({"seconds": elapsed, "peak": peak, "events": events}))


def run_import(args: argparse.Namespace) -> None:
    ICS.write_bytes(make_ics(args.events, 200))
    size = ICS.stat().st_size
    print(f"file: {args.events:,} VEVENTs (200 series with overrides), {size / 1e6:.1f} MB")
    env = {**os.environ}
    results: dict[str, list[dict]] = {"parse": [], "import": []}
    for _ in range(args.runs):
        for mode in ("parse", "import"):  # alternate, so load on the machine hits both
            out = (
                subprocess.run(
                    [sys.executable, __file__, "_child", mode],
                    capture_output=True,
                    text=True,
                    env=env,
                    check=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            results[mode].append(json.loads(out))
    parse = statistics.median(r["seconds"] for r in results["parse"])
    ours = statistics.median(r["seconds"] for r in results["import"])
    rows = results["import"][0]["events"]
    print(f"runs: {args.runs} of each, medians")
    print(
        f"icalendar parse alone: {parse:.2f} s, "
        f"peak {max(r['peak'] for r in results['parse']) / 1e6:.0f} MB"
    )
    print(
        f"diary import: {ours:.2f} s for {rows:,} appointments + 200 overrides "
        f"({args.events / ours:,.0f} events/s), peak "
        f"{max(r['peak'] for r in results['import']) / 1e6:.0f} MB"
    )
    print(
        f"ratio import / parse: {ours / parse:.2f}x (each run: "
        + ", ".join(
            f"{i['seconds'] / p['seconds']:.2f}"
            for i, p in zip(results["import"], results["parse"], strict=True)
        )
        + ")"
    )


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "_child":
        import_child(sys.argv[2])
        return
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    m = sub.add_parser("month")
    m.add_argument("--appointments", type=int, default=5000)
    m.add_argument("--recurring", type=int, default=200)
    m.add_argument("--requests", type=int, default=400)
    m.add_argument("--reuse", action="store_true", help="keep the data of an earlier run")
    i = sub.add_parser("import")
    i.add_argument("--events", type=int, default=10_000)
    i.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if args.what == "month":
        month(args)
    else:
        run_import(args)


if __name__ == "__main__":
    main()
