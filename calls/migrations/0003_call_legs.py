# Calls with legs: the two device columns of each side move into CallLeg rows.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

SIDES = ("caller", "callee")
FIELDS = ("device", "channel", "seen_at", "detached_at")


def legs_from_columns(apps, schema_editor):
    """Each call's caller device becomes its caller leg, the answering one its callee leg."""
    Call = apps.get_model("calls", "Call")
    CallLeg = apps.get_model("calls", "CallLeg")
    batch = []
    for call in Call.objects.order_by("pk").iterator(chunk_size=2000):
        for side in SIDES:
            values = {field: getattr(call, f"{side}_{field}") for field in FIELDS}
            if side == "callee" and not values["device"]:
                continue  # never answered: no callee leg
            joined = call.created_at if side == "caller" else (call.answered_at or call.created_at)
            batch.append(
                CallLeg(
                    call_id=call.pk,
                    kind="device",
                    role=side,
                    user_id=getattr(call, f"{side}_id"),
                    joined_at=joined,
                    **values,
                )
            )
        if len(batch) >= 2000:
            CallLeg.objects.bulk_create(batch)
            batch = []
    CallLeg.objects.bulk_create(batch)
    _checks_now(schema_editor)


def columns_from_legs(apps, schema_editor):
    Call = apps.get_model("calls", "Call")
    CallLeg = apps.get_model("calls", "CallLeg")
    for leg in CallLeg.objects.filter(kind="device").iterator(chunk_size=2000):
        Call.objects.filter(pk=leg.call_id).update(
            **{f"{leg.role}_{field}": getattr(leg, field) for field in FIELDS}
        )
    _checks_now(schema_editor)


def _checks_now(schema_editor):
    # PostgreSQL alters no table with deferred foreign-key checks still pending.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):

    dependencies = [
        ("calls", "0002_call_connected_at"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CallLeg",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=[("device", "Browser"), ("relay", "Media relay"), ("phone", "Phone"), ("forwarded", "Forwarded")], max_length=9, verbose_name="kind")),
                ("role", models.CharField(choices=[("caller", "Caller"), ("callee", "Callee"), ("relay", "Relay")], max_length=6, verbose_name="role")),
                ("device", models.CharField(max_length=64, verbose_name="device")),
                ("channel", models.CharField(blank=True, max_length=200, verbose_name="channel")),
                ("worker", models.CharField(blank=True, max_length=100, verbose_name="relay worker")),
                ("joined_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="joined")),
                ("seen_at", models.DateTimeField(blank=True, null=True)),
                ("detached_at", models.DateTimeField(blank=True, null=True)),
                ("call", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="legs", to="calls.call")),
                ("user", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="call_legs", to=settings.AUTH_USER_MODEL, verbose_name="person")),
            ],
            options={
                "verbose_name": "call leg",
                "verbose_name_plural": "call legs",
                "ordering": ["call", "joined_at", "pk"],
                "indexes": [models.Index(fields=["user", "channel"], name="callleg_user_channel")],
                "constraints": [
                    models.UniqueConstraint(fields=("call", "role"), name="callleg_one_per_role"),
                    models.CheckConstraint(condition=models.Q(models.Q(("kind", "device"), _negated=True), ("user__isnull", False), _connector="OR"), name="callleg_device_has_person"),
                ],
            },
        ),
        migrations.RemoveConstraint(model_name="call", name="call_answered_has_device"),
        migrations.RunPython(legs_from_columns, columns_from_legs),
    ]
