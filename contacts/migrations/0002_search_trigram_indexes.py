"""Indexes for search as you type on PostgreSQL: pg_trgm for words inside names, e-mails and
numbers, and a btree for the start of a name; on SQLite (the embedded default) nothing."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "contacts_contact_search_text_trgm": "search_text",
    "contacts_contact_search_phones_trgm": "search_phones",
}


PREFIX_INDEX = "contacts_contact_search_prefix"


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON contacts_contact "
            f"USING gin ({column} gin_trgm_ops)"
        )
    # left(): a btree entry has a size limit, and a prefix search needs no more. COLLATE "C"
    # (byte order) serves both LIKE 'abc%' and ORDER BY; contacts.selectors builds the same
    # expression.
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {PREFIX_INDEX} ON contacts_contact "
        '(owner_id, (left(search_text, 100) COLLATE "C")) WHERE deleted_at IS NULL'
    )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in [*INDEXES, PREFIX_INDEX]:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial")]

    operations = [
        # CreateExtension does nothing on other databases.
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
