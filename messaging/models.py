"""Messages and who holds them.

A `Message` is written once (text, or a voice/video recording, or a reminder); each person
who holds it has a `Delivery`: every recipient one in their inbox, the sender one in Sent.
Read, unread, Trash and restore are marks on the delivery, so one person deleting a message
never touches anyone else's copy. Folders (Voice, Video, Text, Reminders, Sent, Trash) are
filters on deliveries; `kind` and `created_at` are copied onto the delivery so that a
folder's count and first page come from one index.
"""

from datetime import timedelta
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

BODY_MAX_LENGTH = 10_000


class CompanySettings(models.Model):
    """A company's rules for messages, set by its admin (defaults until then)."""

    DEFAULT_MAX_RECORDING_SECONDS: ClassVar[int] = 180
    DEFAULT_QUOTA_BYTES: ClassVar[int] = 5 * 1024**3
    # What an admin may choose (messaging.services.company_settings_set checks them).
    MIN_RECORDING_SECONDS: ClassVar[int] = 10
    MAX_RECORDING_SECONDS: ClassVar[int] = 600
    MIN_QUOTA_BYTES: ClassVar[int] = 1024**3 // 10
    MAX_QUOTA_BYTES: ClassVar[int] = 1024**4

    company = models.OneToOneField(
        "accounts.Company", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    max_recording_seconds = models.PositiveIntegerField(
        _("longest voice or video mail (seconds)"),
        default=DEFAULT_MAX_RECORDING_SECONDS,
        validators=[MinValueValidator(10), MaxValueValidator(600)],
    )
    quota_bytes = models.PositiveBigIntegerField(
        _("storage for recorded messages (bytes)"), default=DEFAULT_QUOTA_BYTES
    )

    class Meta:
        verbose_name = _("messaging settings")
        verbose_name_plural = _("messaging settings")

    def __str__(self) -> str:
        return str(self.company)


class Message(models.Model):
    """What was said, once, whoever holds it."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        VOICE = "voice", _("Voice mail")
        VIDEO = "video", _("Video mail")
        REMINDER = "reminder", _("Reminder")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sender"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages_sent",
        help_text=_("Empty for reminders, which the service itself sends."),
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True, validators=[MaxLengthValidator(BODY_MAX_LENGTH)])
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    reply_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies"
    )
    # The first message of the conversation (empty on that first message itself).
    thread = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A recording (voice/video), stored through the default storage by messaging.media.
    media = models.CharField(max_length=200, blank=True, editable=False)
    media_content_type = models.CharField(max_length=100, blank=True, editable=False)
    media_bytes = models.PositiveBigIntegerField(default=0, editable=False)
    duration_ms = models.PositiveIntegerField(default=0, editable=False)
    poster = models.CharField(max_length=200, blank=True, editable=False)
    # Reminders: the caller's idempotency key, and where the reminder points.
    key = models.CharField(max_length=200, blank=True, editable=False)
    link = models.CharField(_("link"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=~models.Q(key=""), name="message_key_once"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["voice", "video"]) | models.Q(media=""),
                name="message_media_only_for_recordings",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="reminder") | models.Q(sender__isnull=False),
                name="message_sender_unless_reminder",
            ),
        ]

    def __str__(self) -> str:
        return self.subject or self.body[:60] or self.get_kind_display()

    @property
    def thread_root_id(self) -> int:
        return self.thread_id or self.pk

    @property
    def duration_seconds(self) -> float:
        return self.duration_ms / 1000

    @property
    def duration_label(self) -> str:
        """m:ss of a recording."""
        seconds = round(self.duration_ms / 1000)
        return f"{seconds // 60}:{seconds % 60:02d}"

    @property
    def preview(self) -> str:
        """A line for lists and notices."""
        text = self.subject or " ".join(self.body.split())
        return text[:120]


class Delivery(models.Model):
    """One person's copy of a message: in their inbox (a recipient) or Sent (the sender)."""

    class Box(models.TextChoices):
        INBOX = "inbox", _("Inbox")
        SENT = "sent", _("Sent")

    TRASH_RETENTION: ClassVar[timedelta] = timedelta(days=30)

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_deliveries"
    )
    box = models.CharField(max_length=5, choices=Box.choices)
    kind = models.CharField(max_length=10, choices=Message.Kind.choices)  # the message's
    created_at = models.DateTimeField()  # the message's
    read_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(
        null=True, blank=True, help_text=_("In Trash since; purged after TRASH_RETENTION.")
    )

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["message", "owner", "box"], name="delivery_once"),
            models.CheckConstraint(
                condition=models.Q(box="inbox") | models.Q(read_at__isnull=False),
                name="delivery_sent_is_read",
            ),
        ]
        indexes = [
            # a folder's first page, newest first
            models.Index(
                fields=["owner", "box", "kind", "-created_at"],
                condition=models.Q(deleted_at__isnull=True),
                name="delivery_folder",
            ),
            # the Inbox and Sent (every kind), newest first
            models.Index(
                fields=["owner", "box", "-created_at"],
                condition=models.Q(deleted_at__isnull=True),
                name="delivery_box",
            ),
            # unread counts per folder
            models.Index(
                fields=["owner", "kind"],
                condition=models.Q(box="inbox", read_at__isnull=True, deleted_at__isnull=True),
                name="delivery_unread",
            ),
            # Trash, most recently deleted first (the id too: the page's whole sort order, so
            # a page is read off the index instead of sorting the whole Trash)
            models.Index(
                fields=["owner", "-deleted_at", "-id"],
                condition=models.Q(deleted_at__isnull=False),
                name="delivery_trash_page",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner} {self.box}: {self.message}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None

    @property
    def in_trash(self) -> bool:
        return self.deleted_at is not None


class Reminder(models.Model):
    """A reminder another app asked for (messaging.services.reminder_schedule): delivered
    as a Reminder message when due, once, whatever the number of workers."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    key = models.CharField(max_length=200, unique=True)
    due_at = models.DateTimeField()
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True, validators=[MaxLengthValidator(BODY_MAX_LENGTH)])
    link = models.CharField(max_length=500, blank=True)
    email = models.BooleanField(default=False)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=models.Q(delivered_at__isnull=True),
                name="reminder_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} at {self.due_at}"


class Announcement(models.Model):
    """One message to the users of chosen regions/markets, across companies. Stored once
    and read through each recipient's regions; marks record who read or deleted it."""

    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="announcements_sent"
    )
    company = models.ForeignKey(
        "accounts.Company", on_delete=models.CASCADE, related_name="+", verbose_name=_("company")
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"), validators=[MaxLengthValidator(BODY_MAX_LENGTH)])
    regions = models.ManyToManyField(
        "accounts.Region", related_name="announcements", verbose_name=_("regions and markets")
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("shown until"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="announcement_expires_after_creation",
            )
        ]
        indexes = [models.Index(fields=["expires_at"], name="announcement_live")]

    def __str__(self) -> str:
        return self.subject

    @property
    def preview(self) -> str:
        return self.subject[:120]


class AnnouncementMark(models.Model):
    """One recipient's read and deleted marks on an announcement."""

    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="marks")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "announcement"], name="announcement_mark_once")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.announcement}"


class Preferences(models.Model):
    """What a user chose about messages."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="messaging_preferences",
    )
    announcements = models.BooleanField(_("receive announcements to my markets"), default=True)
    # On by default: voice mail is left for someone who is not there to take the call, so a
    # notice where they are (their mail) is what people expect of it (as of office phones).
    email_recordings = models.BooleanField(
        _("email me when voice or video mail arrives"), default=True
    )

    def __str__(self) -> str:
        return str(self.user)
