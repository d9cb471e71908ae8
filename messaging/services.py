"""Writing messages: the one place that sends, marks, deletes and purges (docs/messaging.md).

Every event goes out after commit through uc_web.lib.realtime:
- `message.received` to each recipient's tabs (id of their delivery, kind, folder, sender,
  preview): the toast, and a reload of the unread counts;
- `mailbox.changed` to the acting user's tabs after anything that changes their counts or
  lists (sent, read, unread, deleted, restored, purged).
"""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import IO, Protocol

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import selectors as account_selectors
from accounts.models import Company, Region, User
from messaging.models import (
    Announcement,
    AnnouncementMark,
    CompanySettings,
    Delivery,
    Message,
    Preferences,
    Reminder,
)
from uc_web.lib import publicid, realtime
from uc_web.lib.exceptions import ApplicationError, PermissionDenied

MAX_RECIPIENTS = 50


def _check_recipients(sender: User, people: Sequence[User]) -> None:
    if not people:
        raise ApplicationError(_("Choose at least one person to send to."), code="no_recipients")
    if len(people) > MAX_RECIPIENTS:
        raise ApplicationError(
            _("A message can go to at most %(n)d people.") % {"n": MAX_RECIPIENTS},
            code="too_many_recipients",
        )
    reachable = set(
        account_selectors.reachable_users(user=sender)
        .filter(pk__in=[p.pk for p in people])
        .values_list("pk", flat=True)
    )
    if not sender.is_active or any(p.pk not in reachable for p in people):
        raise _not_reachable()


class RecordingLike(Protocol):
    """What message_send needs of a stored recording (messaging.media.Recording)."""

    @property
    def name(self) -> str: ...
    @property
    def content_type(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def duration_ms(self) -> int: ...
    @property
    def poster(self) -> str: ...


# The inbox folder that holds a message of each kind.
FOLDER_OF_KIND: dict[str, str] = {
    Message.Kind.TEXT: "text",
    Message.Kind.VOICE: "voice",
    Message.Kind.VIDEO: "video",
    Message.Kind.REMINDER: "reminders",
}


def _not_reachable() -> ApplicationError:
    # One message for every refusal (blocked either way, a stranger, inactive, a forged id),
    # so that a refusal tells the sender nothing about the other person.
    return ApplicationError(
        _("You cannot send a message to one of the people you chose."), code="not_allowed"
    )


def _mailbox_changed(*user_ids: int) -> None:
    ids = list(dict.fromkeys(user_ids))
    transaction.on_commit(lambda: realtime.send_to_users(ids, {"type": "mailbox.changed"}))


def _received_events(message: Message, deliveries: Iterable[Delivery]) -> None:
    sender = account_selectors.person_data(message.sender) if message.sender else None
    events = [
        (
            d.owner_id,
            {
                "type": "message.received",
                "id": publicid.of(d),
                "kind": message.kind,
                "folder": FOLDER_OF_KIND[message.kind],
                "sender": sender,
                "preview": message.preview,
            },
        )
        for d in deliveries
    ]

    def send() -> None:
        for user_id, event in events:
            realtime.send_to_users([user_id], event)

    transaction.on_commit(send)


def _deliver(message: Message, recipients: Sequence[User], *, sent_copy: bool) -> list[Delivery]:
    now = message.created_at
    inbox = [
        Delivery(
            message=message, owner=r, box=Delivery.Box.INBOX, kind=message.kind, created_at=now
        )
        for r in recipients
    ]
    Delivery.objects.bulk_create(inbox)
    if sent_copy and message.sender is not None:
        Delivery.objects.create(
            message=message,
            owner=message.sender,
            box=Delivery.Box.SENT,
            kind=message.kind,
            created_at=now,
            read_at=now,
        )
    return inbox


@transaction.atomic
def message_send(
    *,
    sender: User,
    recipients: Sequence[User],
    body: str = "",
    subject: str = "",
    kind: str = Message.Kind.TEXT,
    reply_to: Message | None = None,
    recording: RecordingLike | None = None,
) -> Message:
    """Send a text message (or, with `recording`, a voice/video mail) to people the sender
    may reach; each recipient gets it in their inbox, the sender in Sent, all told live."""
    people = list({r.pk: r for r in recipients}.values())
    _check_recipients(sender, people)
    body = body.strip()
    subject = " ".join(subject.split())
    if kind not in (Message.Kind.TEXT, Message.Kind.VOICE, Message.Kind.VIDEO):
        raise ApplicationError(_("That kind of message cannot be sent."), code="invalid_kind")
    if kind == Message.Kind.TEXT and not body:
        raise ApplicationError(_("Write something to send."), code="empty")
    if kind != Message.Kind.TEXT and recording is None:
        raise ApplicationError(_("Record something to send."), code="no_recording")
    if reply_to is not None and not reply_to.deliveries.filter(owner=sender).exists():
        raise ApplicationError(_("That message is not yours to answer."), code="not_found")
    message = Message(
        kind=kind,
        sender=sender,
        subject=subject,
        body=body,
        reply_to=reply_to,
        thread_id=reply_to.thread_root_id if reply_to is not None else None,
    )
    if recording is not None:
        message.media = recording.name
        message.media_content_type = recording.content_type
        message.media_bytes = recording.size
        message.duration_ms = recording.duration_ms
        message.poster = recording.poster
    message.full_clean()
    message.save()
    inbox = _deliver(message, people, sent_copy=True)
    _received_events(message, inbox)
    _mailbox_changed(sender.pk)
    if recording is not None:
        message_id = message.pk
        transaction.on_commit(lambda: _notify_later(message_id), robust=True)
    return message


def _notify_later(message_id: int) -> None:
    from messaging import tasks

    tasks.recording_notify.delay(message_id)


def recording_notify(*, message_id: int) -> int:
    """Mail each recipient of a voice/video mail who wants it a notice with a link to it
    (never the recording); not the sender. Returns the number of mails sent."""
    from django.conf import settings
    from django.core.mail import EmailMessage, get_connection
    from django.urls import reverse

    message = Message.objects.select_related("sender").filter(pk=message_id).first()
    if message is None or message.kind not in (Message.Kind.VOICE, Message.Kind.VIDEO):
        return 0
    opted_out = Preferences.objects.filter(email_recordings=False).values("user_id")
    deliveries = (
        Delivery.objects.filter(
            message=message,
            box=Delivery.Box.INBOX,
            deleted_at__isnull=True,
            owner__is_active=True,
        )
        .exclude(owner__email="")
        .exclude(owner_id=message.sender_id)
        .exclude(owner_id__in=opted_out)
        .select_related("owner")
    )
    sender = message.sender.get_full_name() or message.sender.email if message.sender else ""
    what = message.get_kind_display().lower()
    mails = []
    for delivery in deliveries:
        link = settings.SITE_URL + reverse("messaging:detail", args=[delivery.pk])
        lines = [
            _("%(sender)s sent you a %(what)s (%(length)s).")
            % {"sender": sender, "what": what, "length": message.duration_label},
        ]
        if message.subject:
            lines.append(_("Subject: %(subject)s") % {"subject": message.subject})
        lines += [
            "",
            _("Play it: %(link)s") % {"link": link},
            "",
            _(
                "You receive this because email notices of new voice and video mail are on. "
                "Turn them off in Messages: %(link)s"
            )
            % {"link": settings.SITE_URL + reverse("messaging:inbox")},
        ]
        mails.append(
            EmailMessage(
                subject=_("New %(what)s from %(sender)s") % {"what": what, "sender": sender},
                body="\n".join(lines),
                to=[delivery.owner.email],
            )
        )
    if not mails:
        return 0
    return get_connection().send_messages(mails) or 0


def email_recordings_set(*, user: User, wanted: bool) -> Preferences:
    """Mail me a notice of each new voice or video mail, or not."""
    preferences, _created = Preferences.objects.update_or_create(
        user=user, defaults={"email_recordings": wanted}
    )
    return preferences


def recording_send(
    *,
    sender: User,
    recipients: Sequence[User],
    kind: str,
    upload: IO[bytes],
    subject: str = "",
    body: str = "",
    reply_to: Message | None = None,
) -> Message:
    """Send a voice or video mail: check the recipients, the company's quota and the
    recording (messaging.media), store it, send it; nothing stays stored if any step fails."""
    from messaging import media, selectors

    if kind not in (Message.Kind.VOICE, Message.Kind.VIDEO):
        raise ApplicationError(_("That kind of message cannot be sent."), code="invalid_kind")
    people = list({r.pk: r for r in recipients}.values())
    _check_recipients(sender, people)  # before any work on the file
    max_seconds, quota = selectors.company_rules(company_id=sender.company_id)
    used = selectors.storage_used(company_id=sender.company_id)
    size = getattr(upload, "size", 0) or 0
    if used + size > quota:
        raise ApplicationError(
            _(
                "Your company's storage for recorded messages is full. Delete old voice and "
                "video mail, or ask your company admin for more."
            ),
            code="over_quota",
        )
    recording = media.recording_store(upload, kind=kind, max_seconds=max_seconds)
    try:
        return message_send(
            sender=sender,
            recipients=people,
            kind=kind,
            subject=subject,
            body=body,
            reply_to=reply_to,
            recording=recording,
        )
    except BaseException:
        media.recording_delete(recording.names)
        raise


def _check_owner(delivery: Delivery, by: User) -> None:
    if delivery.owner_id != by.pk:
        raise PermissionDenied(_("That message is not yours."))


def delivery_mark_read(*, delivery: Delivery, by: User) -> Delivery:
    """Mark one of the user's messages read (opening it does this)."""
    _check_owner(delivery, by)
    if delivery.read_at is None:
        updated = Delivery.objects.filter(pk=delivery.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        delivery.refresh_from_db(fields=["read_at"])
        if updated:
            _mailbox_changed(by.pk)
    return delivery


def delivery_mark_unread(*, delivery: Delivery, by: User) -> Delivery:
    """Mark one of the user's received messages unread again."""
    _check_owner(delivery, by)
    if delivery.box != Delivery.Box.INBOX:
        raise ApplicationError(_("Only received messages can be unread."), code="not_inbox")
    if delivery.read_at is not None:
        delivery.read_at = None
        delivery.save(update_fields=["read_at"])
        _mailbox_changed(by.pk)
    return delivery


@transaction.atomic
def deliveries_trash(*, user: User, deliveries: Iterable[Delivery]) -> int:
    """Move the user's messages to Trash (they can be restored until it is emptied)."""
    pks = [d.pk for d in deliveries if d.owner_id == user.pk]
    n = Delivery.objects.filter(owner=user, pk__in=pks, deleted_at__isnull=True).update(
        deleted_at=timezone.now()
    )
    if n:
        _mailbox_changed(user.pk)
    return n


@transaction.atomic
def deliveries_restore(*, user: User, deliveries: Iterable[Delivery]) -> int:
    """Bring messages back from Trash to the folder they came from."""
    pks = [d.pk for d in deliveries if d.owner_id == user.pk]
    n = Delivery.objects.filter(owner=user, pk__in=pks, deleted_at__isnull=False).update(
        deleted_at=None
    )
    if n:
        _mailbox_changed(user.pk)
    return n


def _purge(deliveries: "Iterable[Delivery]") -> int:
    """Delete deliveries; a message nobody holds any more goes too, with its files."""
    rows = list(deliveries)
    if not rows:
        return 0
    message_ids = {d.message_id for d in rows}
    Delivery.objects.filter(pk__in=[d.pk for d in rows]).delete()
    orphans = Message.objects.filter(pk__in=message_ids, deliveries__isnull=True)
    files = [name for pair in orphans.values_list("media", "poster") for name in pair if name]
    orphans.delete()
    if files:
        transaction.on_commit(lambda: _delete_files(files))
    return len(rows)


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


@transaction.atomic
def deliveries_purge(*, user: User, deliveries: Iterable[Delivery]) -> int:
    """Delete messages from the user's Trash for good."""
    pks = [d.pk for d in deliveries if d.owner_id == user.pk]
    n = _purge(
        Delivery.objects.select_for_update().filter(
            owner=user, pk__in=pks, deleted_at__isnull=False
        )
    )
    if n:
        _mailbox_changed(user.pk)
    return n


@transaction.atomic
def trash_empty(*, user: User) -> int:
    """Delete everything in the user's Trash for good (recordings nobody else holds too)."""
    n = _purge(Delivery.objects.select_for_update().filter(owner=user, deleted_at__isnull=False))
    if n:
        _mailbox_changed(user.pk)
    return n


@transaction.atomic
def trash_purge_expired(*, now: datetime | None = None) -> int:
    """Delete what has been in anyone's Trash longer than Delivery.TRASH_RETENTION."""
    cutoff = (now or timezone.now()) - Delivery.TRASH_RETENTION
    return _purge(
        Delivery.objects.select_for_update(skip_locked=True).filter(deleted_at__lt=cutoff)[:5000]
    )


# --- a company's rules ------------------------------------------------------------------


def _size_label(n: int) -> str:
    from django.template.defaultfilters import filesizeformat

    return str(filesizeformat(n))


@transaction.atomic
def company_settings_set(
    *, company: Company, by: User, max_recording_seconds: int, quota_bytes: int
) -> CompanySettings:
    """Set a company's longest voice/video mail and its storage quota (its admins only)."""
    from messaging import selectors

    if not by.is_active or (
        not by.is_superuser
        and (by.company_id != company.pk or not by.has_perm("accounts.manage_company"))
    ):
        raise PermissionDenied(_("Only this company's admins may change it."))
    low, high = CompanySettings.MIN_RECORDING_SECONDS, CompanySettings.MAX_RECORDING_SECONDS
    if not low <= max_recording_seconds <= high:
        raise ApplicationError(
            _("Choose a longest recording between %(low)d and %(high)d seconds.")
            % {"low": low, "high": high},
            code="bad_length",
        )
    low, high = CompanySettings.MIN_QUOTA_BYTES, CompanySettings.MAX_QUOTA_BYTES
    if not low <= quota_bytes <= high:
        raise ApplicationError(
            _("Choose a storage quota between %(low)s and %(high)s.")
            % {"low": _size_label(low), "high": _size_label(high)},
            code="bad_quota",
        )
    used = selectors.storage_used(company_id=company.pk)
    if quota_bytes < used:
        raise ApplicationError(
            _(
                "Your company's recorded messages already use %(used)s. Choose at least that, "
                "or delete old voice and video mail first."
            )
            % {"used": _size_label(used)},
            code="below_usage",
        )
    settings_, _created = CompanySettings.objects.select_for_update().get_or_create(company=company)
    settings_.max_recording_seconds = max_recording_seconds
    settings_.quota_bytes = quota_bytes
    settings_.full_clean()
    settings_.save()
    return settings_


# --- reminders (the diary and CRM call these) -------------------------------------------


@transaction.atomic
def reminder_schedule(
    *,
    user: User,
    key: str,
    due_at: datetime,
    subject: str,
    body: str = "",
    link: str = "",
    email: bool = False,
) -> Reminder:
    """Deliver a reminder to `user` at `due_at` (see reminder_deliver). Scheduling the same
    `key` again moves or rewrites it, until it has been delivered."""
    if not key or len(key) > 200:
        raise ApplicationError(_("A reminder needs a key of at most 200 characters."))
    reminder = Reminder.objects.select_for_update().filter(key=key).first()
    if reminder is not None and reminder.delivered_at is not None:
        return reminder
    reminder = reminder or Reminder(key=key)
    reminder.user = user
    reminder.due_at = due_at
    reminder.subject = " ".join(subject.split())[:200]
    reminder.body = body
    reminder.link = link
    reminder.email = email
    reminder.full_clean()
    reminder.save()
    return reminder


def reminder_cancel(*, key: str) -> bool:
    """Forget a reminder not yet delivered; whether there was one."""
    deleted, _rows = Reminder.objects.filter(key=key, delivered_at__isnull=True).delete()
    return bool(deleted)


def reminder_deliver(
    *, user: User, key: str, subject: str, body: str = "", link: str = "", email: bool = False
) -> Message:
    """Put a Reminder message in the user's inbox now, tell their tabs, and mail it if
    asked. Idempotent by `key`: delivered twice (two workers, a retry), it appears once."""
    existing = Message.objects.filter(key=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            message = Message(
                kind=Message.Kind.REMINDER,
                key=key,
                subject=" ".join(subject.split())[:200],
                body=body.strip(),
                link=link,
            )
            message.full_clean(validate_constraints=False)
            message.save()
            inbox = _deliver(message, [user], sent_copy=False)
            _received_events(message, inbox)
            if email and user.email:
                transaction.on_commit(lambda: _mail_reminder(user, message))
    except IntegrityError:  # delivered meanwhile by another worker
        return Message.objects.get(key=key)
    return message


def _mail_reminder(user: User, message: Message) -> None:
    from django.core.mail import send_mail

    send_mail(
        subject=_("Reminder: %(subject)s") % {"subject": message.subject},
        message="\n\n".join(p for p in (message.subject, message.body, message.link) if p),
        from_email=None,
        recipient_list=[user.email],
        fail_silently=True,
    )


def reminders_deliver_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Deliver the reminders that are due (a periodic task; safe to run on many workers)."""
    now = now or timezone.now()
    delivered = 0
    with transaction.atomic():
        due = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(delivered_at__isnull=True, due_at__lte=now)
            .select_related("user")
            .order_by("due_at")[:limit]
        )
        for reminder in due:
            if reminder.user.is_active:
                reminder_deliver(
                    user=reminder.user,
                    key=reminder.key,
                    subject=reminder.subject,
                    body=reminder.body,
                    link=reminder.link,
                    email=reminder.email,
                )
                delivered += 1
            reminder.delivered_at = now
            reminder.save(update_fields=["delivered_at"])
    return delivered


# --- announcements to markets ------------------------------------------------------------

ANNOUNCEMENT_KEEP_AFTER_EXPIRY = timedelta(days=7)


def region_group(region_id: int) -> str:
    """Every socket of a user whose profile names this region joins it (messaging.handlers)."""
    return f"messaging.region.{region_id}"


@transaction.atomic
def announcement_send(
    *,
    sender: User,
    subject: str,
    body: str,
    regions: Iterable[Region],
    expires_at: datetime,
) -> Announcement:
    """Announce to every user (of any company) whose profile includes one of `regions`:
    stored once, read through the recipients' regions; connected recipients are told
    through one event per region group, not one per person."""
    if not sender.is_active or not sender.has_perm("accounts.send_announcements"):
        raise PermissionDenied(_("Only people with the Announcer role can send announcements."))
    chosen = list({r.pk: r for r in regions}.values())
    if not chosen:
        raise ApplicationError(_("Choose at least one region or market."), code="no_regions")
    allowed = set(
        account_selectors.region_list(user=sender)
        .filter(pk__in=[r.pk for r in chosen])
        .values_list("pk", flat=True)
    )
    if any(r.pk not in allowed for r in chosen):
        raise ApplicationError(_("Choose regions and markets from the list."), code="bad_region")
    now = timezone.now()
    if expires_at <= now:
        raise ApplicationError(_("Choose a date in the future."), code="expired")
    announcement = Announcement(
        sender=sender,
        company=sender.company,
        subject=" ".join(subject.split()),
        body=body.strip(),
        created_at=now,
        expires_at=expires_at,
    )
    announcement.full_clean()
    announcement.save()
    announcement.regions.set(chosen)
    event = {
        "type": "announcement.received",
        "id": publicid.of(announcement),
        "sender": account_selectors.person_data(sender),
        "company": sender.company.name if sender.company else "",
        "preview": announcement.preview,
    }
    groups = [region_group(r.pk) for r in chosen]

    def tell() -> None:
        for group in groups:  # a person in two of them hears it twice; the id tells
            realtime.send_to_group(group, event)

    transaction.on_commit(tell)
    return announcement


def _mark(announcement: Announcement, user: User) -> AnnouncementMark:
    mark, _created = AnnouncementMark.objects.get_or_create(announcement=announcement, user=user)
    return mark


def announcement_mark_read(*, announcement: Announcement, user: User) -> None:
    """Mark an announcement the user can see as read (the caller got it from the selector)."""
    mark = _mark(announcement, user)
    if mark.read_at is None:
        mark.read_at = timezone.now()
        mark.save(update_fields=["read_at"])
        _mailbox_changed(user.pk)


def announcement_delete(*, announcement: Announcement, user: User) -> None:
    """Hide an announcement from this user for good (others still see it)."""
    mark = _mark(announcement, user)
    now = timezone.now()
    mark.read_at = mark.read_at or now
    mark.deleted_at = now
    mark.save(update_fields=["read_at", "deleted_at"])
    _mailbox_changed(user.pk)


def announcements_set_wanted(*, user: User, wanted: bool) -> Preferences:
    """Receive announcements to one's markets, or not."""
    preferences, _created = Preferences.objects.update_or_create(
        user=user, defaults={"announcements": wanted}
    )
    _mailbox_changed(user.pk)
    return preferences


def announcements_purge_expired(*, now: datetime | None = None) -> int:
    """Delete announcements expired more than a week ago, with everyone's marks."""
    cutoff = (now or timezone.now()) - ANNOUNCEMENT_KEEP_AFTER_EXPIRY
    deleted, _rows = Announcement.objects.filter(expires_at__lt=cutoff).delete()
    return deleted
