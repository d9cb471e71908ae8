"""Reading messages: always as the acting user, who sees only their own deliveries."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import selectors as account_selectors
from accounts.models import Profile, User

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise
from messaging.models import (
    Announcement,
    AnnouncementMark,
    CompanySettings,
    Delivery,
    Message,
    Preferences,
)

# Folder slug -> (label, filter on the user's deliveries). Order is the sidebar's.
_INBOX = Q(box=Delivery.Box.INBOX, deleted_at__isnull=True)
FOLDERS: "dict[str, tuple[StrOrPromise, Q]]" = {
    "inbox": (_("Inbox"), _INBOX),
    "voice": (_("Voice"), _INBOX & Q(kind=Message.Kind.VOICE)),
    "video": (_("Video"), _INBOX & Q(kind=Message.Kind.VIDEO)),
    "text": (_("Text"), _INBOX & Q(kind=Message.Kind.TEXT)),
    "reminders": (_("Reminders"), _INBOX & Q(kind=Message.Kind.REMINDER)),
    "sent": (_("Sent"), Q(box=Delivery.Box.SENT, deleted_at__isnull=True)),
    "trash": (_("Trash"), Q(deleted_at__isnull=False)),
}
# Folders whose unread messages count (the nav badge is their sum).
_KIND_FOLDER = {
    Message.Kind.VOICE: "voice",
    Message.Kind.VIDEO: "video",
    Message.Kind.TEXT: "text",
    Message.Kind.REMINDER: "reminders",
}


@dataclass(frozen=True)
class Folder:
    slug: str
    label: str
    unread: int


def delivery_list(*, user: User, folder: str = "inbox") -> QuerySet[Delivery]:
    """The user's deliveries in `folder`, newest first (Trash: most recently deleted)."""
    _label, condition = FOLDERS[folder]
    deliveries = Delivery.objects.filter(condition, owner=user).select_related(
        "message", "message__sender", "message__sender__profile"
    )
    if folder in ("sent", "trash"):  # these rows name the recipients
        deliveries = deliveries.prefetch_related("message__deliveries__owner")
    if folder == "trash":
        return deliveries.order_by("-deleted_at", "-pk")
    return deliveries.order_by("-created_at", "-pk")


@dataclass(frozen=True)
class Page:
    """One page of a folder, found by a cursor rather than counted (a COUNT over 50,000
    copies costs more than the page itself): `older`/`newer` are the deliveries to page on
    from, or None at either end."""

    rows: list[Delivery]
    older: Delivery | None
    newer: Delivery | None


def folder_order_key(folder: str) -> str:
    return "deleted_at" if folder == "trash" else "created_at"


def delivery_page(
    *,
    user: User,
    folder: str = "inbox",
    before: int | None = None,
    after: int | None = None,
    size: int = 50,
) -> Page:
    """A page of the user's deliveries in `folder`: the newest, or those just older than
    delivery `before`, or just newer than delivery `after` (ids of the user's own copies;
    any other id gives the newest page)."""
    key = folder_order_key(folder)
    deliveries = delivery_list(user=user, folder=folder)
    anchor_pk = before if before is not None else after
    anchor = None
    if anchor_pk is not None:
        anchor = (
            Delivery.objects.filter(FOLDERS[folder][1], owner=user, pk=anchor_pk)
            .values_list(key, flat=True)
            .first()
        )
    if anchor is None:
        rows = list(deliveries[: size + 1])
        return Page(rows[:size], rows[size - 1] if len(rows) > size else None, None)
    if before is not None:
        older = Q(**{f"{key}__lt": anchor}) | Q(**{key: anchor, "pk__lt": anchor_pk})
        rows = list(deliveries.filter(older)[: size + 1])
        return Page(
            rows[:size], rows[size - 1] if len(rows) > size else None, rows[0] if rows else None
        )
    newer = Q(**{f"{key}__gt": anchor}) | Q(**{key: anchor, "pk__gt": anchor_pk})
    rows = list(deliveries.filter(newer).order_by(key, "pk")[: size + 1])
    more = len(rows) > size
    rows = rows[:size][::-1]
    return Page(rows, rows[-1] if rows else None, rows[0] if more and rows else None)


def delivery_get(*, user: User, pk: int) -> Delivery | None:
    """One of the user's deliveries, or None (someone else's looks like one that does not
    exist)."""
    return (
        Delivery.objects.filter(owner=user, pk=pk)
        .select_related("message", "message__sender", "message__sender__profile")
        .first()
    )


def delivery_by_pks(*, user: User, pks: list[int]) -> QuerySet[Delivery]:
    """Those of `pks` that are the user's."""
    return Delivery.objects.filter(owner=user, pk__in=pks)


def unread_counts(*, user: User) -> dict[str, int]:
    """Unread messages per folder (inbox: all of them), in one query."""
    rows = (
        Delivery.objects.filter(
            owner=user, box=Delivery.Box.INBOX, read_at__isnull=True, deleted_at__isnull=True
        )
        .values_list("kind")
        # COUNT(*), not COUNT(id): the partial index delivery_unread (owner, kind) answers
        # alone (an index-only scan), without reading the rows
        .annotate(n=Count("*"))
        .order_by()
    )
    counts = dict.fromkeys(_KIND_FOLDER.values(), 0)
    for kind, n in rows:
        counts[_KIND_FOLDER[kind]] = n
    counts["inbox"] = sum(counts.values())
    return counts


def folder_list(*, user: User) -> list[Folder]:
    """Every folder with its unread count (Inbox counts announcements too)."""
    counts = unread_counts(user=user)
    counts["announcements"] = announcement_unread_count(user=user)
    counts["inbox"] += counts["announcements"]
    folders = [
        Folder(slug=slug, label=str(label), unread=counts.get(slug, 0))
        for slug, (label, _q) in FOLDERS.items()
    ]
    folders.insert(5, Folder("announcements", str(_("Announcements")), counts["announcements"]))
    # the accounts app's requests, answered in place (not counted in the inbox's total: the
    # Online Monitor has its own badge for them)
    waiting = account_selectors.contact_request_inbox(user=user).count()
    folders.insert(6, Folder("requests", str(_("Contact requests")), waiting))
    return folders


def announcements_wanted(*, user: User) -> bool:
    return not Preferences.objects.filter(user=user, announcements=False).exists()


def email_recordings_wanted(*, user: User) -> bool:
    return not Preferences.objects.filter(user=user, email_recordings=False).exists()


def announcement_list(*, user: User) -> QuerySet[Announcement]:
    """Announcements to any of the user's regions, not expired, not deleted by them, newest
    first, each with `is_read`; none if they opted out."""
    if not announcements_wanted(user=user):
        return Announcement.objects.none()
    regions = Profile.regions.through.objects.filter(profile_id=user.pk).values("region_id")
    to_them = Announcement.regions.through.objects.filter(region_id__in=regions).values(
        "announcement_id"
    )
    marks = AnnouncementMark.objects.filter(user=user, announcement_id=OuterRef("pk"))
    return (
        Announcement.objects.filter(pk__in=to_them, expires_at__gt=timezone.now())
        .exclude(
            pk__in=AnnouncementMark.objects.filter(user=user, deleted_at__isnull=False).values(
                "announcement_id"
            )
        )
        .annotate(is_read=Exists(marks.filter(read_at__isnull=False)))
        .select_related("sender", "company")
        .order_by("-created_at", "-pk")
    )


def announcement_get(*, user: User, pk: int) -> Announcement | None:
    return announcement_list(user=user).filter(pk=pk).first()


def announcement_unread_count(*, user: User) -> int:
    # `is_read` is the annotation announcement_list adds
    return announcement_list(user=user).filter(is_read=False).count()  # type: ignore[misc]


def thread_list(*, user: User, message: Message) -> QuerySet[Delivery]:
    """The user's deliveries of the conversation `message` belongs to, oldest first
    (a message held in both Inbox and Sent, a note to self, shows once)."""
    root = message.thread_root_id
    return (
        Delivery.objects.filter(
            Q(message_id=root) | Q(message__thread_id=root),
            owner=user,
            deleted_at__isnull=True,
        )
        .select_related("message", "message__sender")
        .order_by("created_at", "pk")
    )


def recipient_list(*, user: User) -> QuerySet[User]:
    """Everyone the user may message (colleagues and accepted contacts, nobody blocked)."""
    return account_selectors.reachable_users(user=user).order_by("first_name", "last_name", "email")


def company_rules(*, company_id: int | None) -> tuple[int, int]:
    """A company's longest recording (seconds) and storage quota (bytes)."""
    row = (
        CompanySettings.objects.filter(company=company_id)
        .values_list("max_recording_seconds", "quota_bytes")
        .first()
    )
    if row is None:
        return CompanySettings.DEFAULT_MAX_RECORDING_SECONDS, CompanySettings.DEFAULT_QUOTA_BYTES
    return row


@dataclass(frozen=True)
class CompanyUsage:
    max_recording_seconds: int
    quota_bytes: int
    used_bytes: int

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.used_bytes / self.quota_bytes)) if self.quota_bytes else 0


def company_usage_get(*, user: User) -> CompanyUsage | None:
    """The rules and storage use of the acting user's company (None without one)."""
    if user.company_id is None:
        return None
    max_seconds, quota = company_rules(company_id=user.company_id)
    return CompanyUsage(max_seconds, quota, storage_used(company_id=user.company_id))


def storage_used(*, company_id: int | None) -> int:
    """Bytes of recordings sent by the company's people that someone still holds."""
    if company_id is None:
        return 0
    used = Message.objects.filter(sender__company_id=company_id).aggregate(n=Sum("media_bytes"))[
        "n"
    ]
    return int(used or 0)
