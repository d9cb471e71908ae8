"""DRF's authtoken kept keys in clear (table authtoken_token): carry each key over as an
ApiToken (its digest only) and drop that table, so no clear key stays in the database."""

import hashlib

from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("accounts", "ApiToken")
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id, created FROM authtoken_token")
        rows = cursor.fetchall()
    for key, user_id, created in rows:
        ApiToken.objects.create(
            user_id=user_id,
            name="Token from before named tokens",
            # Old keys had no "uct_" prefix; their first characters still tell them apart.
            prefix=key[:8],
            digest=hashlib.sha256(key.encode()).hexdigest(),
            created_at=created or timezone.now(),
        )
    schema_editor.execute("DROP TABLE authtoken_token")
    schema_editor.execute("DELETE FROM django_migrations WHERE app = 'authtoken'")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_api_tokens_audit_events")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
