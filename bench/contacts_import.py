"""Import a 10,000-contact vCard 3.0 file on PostgreSQL: contacts/s, peak memory, and the
time against vobject alone parsing the same file in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_contacts \\
        .venv/bin/python bench/contacts_import.py [--contacts 10000]
"""

import argparse
import gc
import io
import random
import resource
import time
import tracemalloc

from _contacts_setup import fresh_user, person, setup_django


def vcard_file(count: int, seed: int = 4) -> bytes:
    """A vCard 3.0 file shaped like an iPhone export (grouped labels, typed numbers)."""
    rng = random.Random(seed)
    cards = []
    for n in range(count):
        p = person(rng, n)
        cards.append(
            "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iPhone OS 17.4//EN\r\n"
            f"N:{p['last']};{p['first']};;;\r\nFN:{p['first']} {p['last']}\r\n"
            f"ORG:{p['company']};\r\nTITLE:Buyer\r\n"
            f"EMAIL;type=INTERNET;type=WORK;type=pref:{p['email']}\r\n"
            f"item1.EMAIL;type=INTERNET:home{n}@personal.example\r\nitem1.X-ABLabel:_$!<Other>!$_\r\n"
            f"TEL;type=CELL;type=VOICE;type=pref:{p['mobile']}\r\n"
            f"TEL;type=WORK;type=VOICE:{p['work']}\r\n"
            f"item2.ADR;type=WORK;type=pref:;;{n} High Street;London;;EC1A 1BB;United Kingdom\r\n"
            f"BDAY;value=date:19{rng.randint(50, 99)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}\r\n"
            f"NOTE:Met at the trade fair\\, stand {n}.\\nFollow up in Q{n % 4 + 1}.\r\n"
            f"UID:{n:08d}-bench\r\nEND:VCARD\r\n"
        )
    return "".join(cards).encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=10_000)
    args = parser.parse_args()
    database = setup_django()

    import vobject
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from vobject.base import getLogicalLines, parseLine

    from contacts import importing, services
    from contacts.models import Contact, ContactImport

    data = vcard_file(args.contacts)
    text = data.decode()
    user = fresh_user("bench-import@example.org")
    book = services.book_ensure_default(user=user)

    def queue() -> ContactImport:
        # Queued by hand so that the run is timed alone (import_start would run it eagerly);
        # a fresh upload each time, as an import deletes its file when done.
        Contact.objects.filter(owner=user).delete()
        upload = importing.import_upload(owner=user, file=SimpleUploadedFile("bench.vcf", data))
        ContactImport.objects.filter(pk=upload.pk).update(
            status=ContactImport.Status.QUEUED, book=book, duplicates="skip"
        )
        return upload

    # 1. The import, first, so that the process's peak memory is the import's.
    contact_import = queue()
    gc.collect()
    rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    result = importing.import_run(contact_import_id=contact_import.pk)
    import_seconds = time.perf_counter() - started
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert result is not None and result.status == "done", result and result.error
    stored = Contact.objects.filter(owner=user).count()

    # 2. Again under tracemalloc (slower), for the Python allocations alone.
    contact_import = queue()
    gc.collect()
    tracemalloc.start()
    second = importing.import_run(contact_import_id=contact_import.pk)
    _current, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert second is not None and second.status == "done" and second.imported == stored

    # 3. vobject alone, on the same text: whole components, as an application would use it.
    gc.collect()
    started = time.perf_counter()
    parsed = sum(1 for _card in vobject.readComponents(text))
    vobject_seconds = time.perf_counter() - started
    assert parsed == args.contacts

    # 4. vobject's content-line layer alone (what the importer uses), for the breakdown.
    gc.collect()
    started = time.perf_counter()
    lines = sum(
        1 for line, _n in getLogicalLines(io.StringIO(text), allowQP=False) if parseLine(line)
    )
    lines_seconds = time.perf_counter() - started

    print(f"database: PostgreSQL {connection.pg_version // 10000} ({database})")
    print(f"file: {args.contacts} vCard 3.0 contacts, {len(data) / 1e6:.1f} MB")
    print(f"stored: {stored} contacts")
    rate = args.contacts / vobject_seconds
    print(f"vobject alone: {vobject_seconds:.2f} s ({rate:,.0f} cards/s)")
    print(
        f"vobject content lines alone (getLogicalLines + parseLine, {lines:,} lines): "
        f"{lines_seconds:.2f} s ({args.contacts / lines_seconds:,.0f} cards/s)"
    )
    print(f"import: {import_seconds:.2f} s ({stored / import_seconds:,.0f} contacts/s)")
    print(f"import / vobject: {import_seconds / vobject_seconds:.2f}x")
    print(f"peak Python allocations during the import (tracemalloc): {traced_peak / 1e6:.0f} MB")
    print(
        f"peak RSS of the process during the import: {rss_peak / 1024:.0f} MB "
        f"(Django and the file loaded before it: {rss_start / 1024:.0f} MB)"
    )


if __name__ == "__main__":
    main()
