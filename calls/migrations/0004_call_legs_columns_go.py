# Calls with legs, part two: the columns that moved into CallLeg go (after 0003 copied
# them, in its own transaction: PostgreSQL alters no table with pending trigger events).

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("calls", "0003_call_legs"),
    ]

    operations = [
        # Defaults only so that going back can add the columns again before refilling them.
        migrations.AlterField(model_name="call", name="caller_device", field=models.CharField(default="", max_length=64, verbose_name="caller device")),
        migrations.AlterField(model_name="call", name="caller_channel", field=models.CharField(blank=True, default="", max_length=200, verbose_name="caller channel")),
        migrations.AlterField(model_name="call", name="callee_device", field=models.CharField(blank=True, default="", max_length=64, verbose_name="answering device")),
        migrations.AlterField(model_name="call", name="callee_channel", field=models.CharField(blank=True, default="", max_length=200, verbose_name="answering channel")),
        migrations.RemoveField(model_name="call", name="caller_device"),
        migrations.RemoveField(model_name="call", name="caller_channel"),
        migrations.RemoveField(model_name="call", name="callee_device"),
        migrations.RemoveField(model_name="call", name="callee_channel"),
        migrations.RemoveField(model_name="call", name="caller_seen_at"),
        migrations.RemoveField(model_name="call", name="callee_seen_at"),
        migrations.RemoveField(model_name="call", name="caller_detached_at"),
        migrations.RemoveField(model_name="call", name="callee_detached_at"),
        migrations.AddField(
            model_name="call",
            name="relay_reason",
            field=models.CharField(blank=True, choices=[("user", "the caller's or callee's setting"), ("company", "the company's setting"), ("ice", "no direct connection")], max_length=8, verbose_name="relayed because"),
        ),
        migrations.CreateModel(
            name="RelayWorker",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100, unique=True, verbose_name="name")),
                ("channel", models.CharField(max_length=200, verbose_name="channel")),
                ("host", models.CharField(blank=True, max_length=200, verbose_name="host")),
                ("pid", models.PositiveIntegerField(default=0, verbose_name="process id")),
                ("load", models.PositiveIntegerField(default=0, verbose_name="open sessions")),
                ("started_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="started")),
                ("seen_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="last heartbeat")),
            ],
            options={
                "verbose_name": "relay worker",
                "verbose_name_plural": "relay workers",
                "indexes": [models.Index(fields=["seen_at"], name="relayworker_seen")],
            },
        ),
        migrations.AlterField(
            model_name="call",
            name="end_reason",
            field=models.CharField(blank=True, choices=[("completed", "Completed"), ("declined", "Declined"), ("busy", "Busy"), ("no_answer", "No answer"), ("cancelled", "Cancelled"), ("failed", "Connection failed"), ("media_lost", "Media server unavailable")], max_length=10, verbose_name="end reason"),
        ),
    ]
