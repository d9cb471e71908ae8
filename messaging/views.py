from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts import selectors as account_selectors
from accounts.models import User
from messaging import forms, selectors, services
from messaging.models import Delivery, Message
from uc_web.lib import publicid, serving
from uc_web.lib.exceptions import ApplicationError
from uc_web.lib.signed_in import AuthedRequest

PAGE_SIZE = 50
DELIVERY = "messaging.delivery"


def _get(request: AuthedRequest, pk: int) -> Delivery:
    delivery = selectors.delivery_get(user=request.user, pk=pk)
    if delivery is None:
        raise Http404
    return delivery


def _folder_url(folder: str) -> str:
    if folder == "inbox":
        return reverse("messaging:inbox")
    return reverse("messaging:folder", args=[folder])


@require_GET
@login_required
def inbox(request: AuthedRequest, folder: str = "inbox") -> HttpResponse:
    """A folder of the user's messages with the unread count of every folder."""
    if folder == "announcements":
        return announcements(request)
    if folder == "requests":
        return contact_requests(request)
    if folder not in selectors.FOLDERS:
        raise Http404
    page = selectors.delivery_page(
        user=request.user,
        folder=folder,
        before=publicid.decode_or_none(DELIVERY, request.GET.get("before")),
        after=publicid.decode_or_none(DELIVERY, request.GET.get("after")),
        size=PAGE_SIZE,
    )
    return render(
        request,
        "messaging/inbox.html",
        {
            "folder": folder,
            "folder_label": selectors.FOLDERS[folder][0],
            "folders": selectors.folder_list(user=request.user),
            "page": page,
            "email_recordings": selectors.email_recordings_wanted(user=request.user)
            if folder in ("inbox", "voice", "video")
            else None,
        },
    )


@require_GET
@login_required
def detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """One message, with the rest of its conversation. The page's script marks it read
    (a GET changes nothing)."""
    delivery = _get(request, pk)
    thread = [
        d
        for d in selectors.thread_list(user=request.user, message=delivery.message)
        if d.message_id != delivery.message_id
    ]
    return render(
        request,
        "messaging/detail.html",
        {
            "delivery": delivery,
            "message": delivery.message,
            "thread": thread,
            "folders": selectors.folder_list(user=request.user),
            "folder": "trash" if delivery.in_trash else _folder_of(delivery),
        },
    )


def _folder_of(delivery: Delivery) -> str:
    if delivery.box == Delivery.Box.SENT:
        return "sent"
    return services.FOLDER_OF_KIND[delivery.kind]


def _quoted(message: Message) -> str:
    sender = message.sender.get_full_name() if message.sender else _("Reminder")
    lines = "\n".join(f"> {line}" for line in message.body.splitlines())
    return _("%(name)s wrote:") % {"name": sender} + "\n" + lines


@login_required
def compose(request: AuthedRequest) -> HttpResponse:
    """Write a text message: new (?to=<person>), a reply (?reply=<message>) or a forward
    (?forward=<message>)."""
    user = request.user
    reply_to = _own_message(request, "reply")
    forward = _own_message(request, "forward")
    kind = request.GET.get("kind", "text")
    if kind not in ("text", "voice", "video"):
        raise Http404
    if request.method == "POST" and kind != "text":
        raise Http404  # recordings are sent by the page's script through the API
    if request.method == "POST":
        form = forms.ComposeForm(request.POST, user=user)
        if form.is_valid():
            try:
                services.message_send(
                    sender=user,
                    recipients=list(form.cleaned_data["to"]),
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    reply_to=reply_to.message if reply_to else None,
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                flash.success(request, _("Message sent."))
                return redirect("messaging:folder", folder="sent")
    else:
        initial: dict = {}
        to = publicid.decode_or_none(publicid.kind_of(User), request.GET.get("to"))
        if to is not None:
            initial["to"] = list(selectors.recipient_list(user=user).filter(pk=to))
        if reply_to is not None:
            message = reply_to.message
            if message.sender_id and message.sender_id != user.pk:
                initial["to"] = list(
                    selectors.recipient_list(user=user).filter(pk=message.sender_id)
                )
            elif reply_to.box == Delivery.Box.SENT:
                initial["to"] = list(
                    selectors.recipient_list(user=user).filter(
                        message_deliveries__message=message,
                        message_deliveries__box=Delivery.Box.INBOX,
                    )
                )
            subject = message.subject
            if subject and not subject.lower().startswith("re:"):
                subject = f"Re: {subject}"
            initial["subject"] = subject
        if forward is not None:
            message = forward.message
            subject = message.subject
            if subject and not subject.lower().startswith("fwd:"):
                subject = f"Fwd: {subject}"
            initial["subject"] = subject
            initial["body"] = "\n\n" + _quoted(message)
        form = forms.ComposeForm(initial=initial, user=user, kind=kind)
    max_seconds, _quota = selectors.company_rules(company_id=user.company_id)
    return render(
        request,
        "messaging/compose.html",
        {
            "form": form,
            "kind": kind,
            "max_seconds": max_seconds,
            "reply_to": reply_to,
            "forward": forward,
            "folders": selectors.folder_list(user=user),
            "folder": "",
        },
    )


def _own_message(request: AuthedRequest, param: str) -> Delivery | None:
    value = request.GET.get(param)
    if not value:
        return None
    pk = publicid.decode_or_none(DELIVERY, value)
    delivery = selectors.delivery_get(user=request.user, pk=pk) if pk is not None else None
    if delivery is None:
        raise Http404
    return delivery


ACTIONS = ("read", "unread", "trash", "restore", "purge")


def _apply(user: User, action: str, deliveries: list[Delivery]) -> int:
    if action == "trash":
        return services.deliveries_trash(user=user, deliveries=deliveries)
    if action == "restore":
        return services.deliveries_restore(user=user, deliveries=deliveries)
    if action == "purge":
        return services.deliveries_purge(user=user, deliveries=deliveries)
    n = 0
    for delivery in deliveries:
        if action == "read":
            services.delivery_mark_read(delivery=delivery, by=user)
        elif delivery.box == Delivery.Box.INBOX:
            services.delivery_mark_unread(delivery=delivery, by=user)
        n += 1
    return n


@require_POST
@login_required
def action(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    """A message page's buttons: read, unread, trash, restore, purge."""
    if action not in ACTIONS:
        raise Http404
    delivery = _get(request, pk)
    folder = "trash" if delivery.in_trash else _folder_of(delivery)
    try:
        _apply(request.user, action, [delivery])
    except ApplicationError as error:
        flash.error(request, error.message)
        return redirect("messaging:detail", pk=pk)
    if action == "trash":
        flash.success(request, _("Moved to Trash."))
        return redirect(_folder_url(folder))
    if action == "purge":
        flash.success(request, _("Deleted for good."))
        return redirect(_folder_url("trash"))
    if action == "restore":
        flash.success(request, _("Restored."))
        return redirect("messaging:detail", pk=pk)
    if action == "unread":
        return redirect(_folder_url(folder))
    return redirect("messaging:detail", pk=pk)


@require_POST
@login_required
def bulk(request: AuthedRequest, folder: str) -> HttpResponse:
    """The list's checkboxes with one of its buttons."""
    if folder not in selectors.FOLDERS:
        raise Http404
    form = forms.BulkForm(request.POST)
    if not form.is_valid():
        flash.error(request, _("Choose what to do with the selected messages."))
        return redirect(_folder_url(folder))
    pks = [
        pk
        for pk in (publicid.decode_or_none(DELIVERY, v) for v in request.POST.getlist("ids"))
        if pk is not None
    ]
    chosen = list(selectors.delivery_by_pks(user=request.user, pks=pks))
    if not chosen:
        flash.error(request, _("Select one or more messages first."))
        return redirect(_folder_url(folder))
    n = _apply(request.user, form.cleaned_data["action"], chosen)
    flash.success(
        request, ngettext("%(n)d message changed.", "%(n)d messages changed.", n) % {"n": n}
    )
    return redirect(_folder_url(folder))


@require_GET
@login_required
def media(request: AuthedRequest, pk: int, part: str) -> HttpResponseBase:
    """A recording or a video's poster, to its holder only (ranges for seeking)."""
    delivery = _get(request, pk)
    message = delivery.message
    if part == "recording" and message.media:
        return serving.private_file(request, message.media, content_type=message.media_content_type)
    if part == "poster" and message.poster:
        return serving.private_file(request, message.poster, content_type="image/webp")
    raise Http404


@require_POST
@login_required
def trash_empty(request: AuthedRequest) -> HttpResponse:
    """Delete everything in Trash for good."""
    n = services.trash_empty(user=request.user)
    flash.success(
        request, ngettext("%(n)d message deleted.", "%(n)d messages deleted.", n) % {"n": n}
    )
    return redirect(_folder_url("trash"))


def contact_requests(request: AuthedRequest) -> HttpResponse:
    """Contact requests waiting for the user's answer (the accounts app's own requests,
    answered with its Accept/Decline, which return here)."""
    user = request.user
    return render(
        request,
        "messaging/requests.html",
        {
            "folder": "requests",
            "folders": selectors.folder_list(user=user),
            "requests": account_selectors.contact_request_inbox(user=user).order_by(
                "-created_at", "-pk"
            )[:200],
        },
    )


def announcements(request: AuthedRequest) -> HttpResponse:
    """Announcements to the user's regions and markets."""
    user = request.user
    page = Paginator(selectors.announcement_list(user=user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "messaging/announcements.html",
        {
            "folder": "announcements",
            "folders": selectors.folder_list(user=user),
            "page": page,
            "wanted": selectors.announcements_wanted(user=user),
            "may_announce": user.has_perm("accounts.send_announcements"),
        },
    )


@require_GET
@login_required
def announcement_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """One announcement; the page's script marks it read."""
    announcement = selectors.announcement_get(user=request.user, pk=pk)
    if announcement is None:
        raise Http404
    return render(
        request,
        "messaging/announcement_detail.html",
        {
            "announcement": announcement,
            "folders": selectors.folder_list(user=request.user),
            "folder": "announcements",
        },
    )


@require_POST
@login_required
def announcement_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    announcement = selectors.announcement_get(user=request.user, pk=pk)
    if announcement is None:
        raise Http404
    services.announcement_delete(announcement=announcement, user=request.user)
    flash.success(request, _("Announcement deleted."))
    return redirect("messaging:folder", folder="announcements")


@require_POST
@login_required
def announcements_preference(request: AuthedRequest) -> HttpResponse:
    """Receive announcements to my markets, or not."""
    wanted = request.POST.get("wanted") == "1"
    services.announcements_set_wanted(user=request.user, wanted=wanted)
    flash.success(
        request,
        _("You will receive announcements to your markets.")
        if wanted
        else _("You will no longer receive announcements."),
    )
    return redirect("messaging:folder", folder="announcements")


@require_POST
@login_required
def email_preference(request: AuthedRequest) -> HttpResponse:
    """Email me a notice of each new voice or video mail, or not."""
    wanted = request.POST.get("wanted") == "1"
    services.email_recordings_set(user=request.user, wanted=wanted)
    flash.success(
        request,
        _("You will get an email when voice or video mail arrives.")
        if wanted
        else _("You will no longer get emails about new voice and video mail."),
    )
    folder = request.POST.get("folder", "inbox")
    return redirect(_folder_url(folder if folder in ("voice", "video") else "inbox"))


@login_required
def announce(request: AuthedRequest) -> HttpResponse:
    """Write an announcement to regions and markets (the Announcer role only)."""
    user = request.user
    if not user.has_perm("accounts.send_announcements"):
        raise PermissionDenied
    if request.method == "POST":
        form = forms.AnnouncementForm(request.POST, user=user)
        if form.is_valid():
            try:
                services.announcement_send(
                    sender=user,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    regions=form.cleaned_data["regions"],
                    expires_at=form.expires_at(),
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                flash.success(request, _("Announcement sent."))
                return redirect("messaging:folder", folder="announcements")
    else:
        form = forms.AnnouncementForm(user=user)
    return render(
        request,
        "messaging/announce.html",
        {"form": form, "folders": selectors.folder_list(user=user), "folder": ""},
    )


@require_POST
@login_required
@permission_required("accounts.manage_company", raise_exception=True)
def company_settings(request: AuthedRequest) -> HttpResponse:
    """The company page's voice and video mail section: longest recording and quota."""
    company = account_selectors.company_get(user=request.user)
    if company is None:
        raise Http404
    usage = selectors.company_usage_get(user=request.user)
    form = forms.CompanySettingsForm(request.POST, usage=usage)
    if form.is_valid():
        try:
            services.company_settings_set(
                company=company,
                by=request.user,
                max_recording_seconds=form.cleaned_data["max_recording_seconds"],
                quota_bytes=form.quota_bytes(),
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            flash.success(request, _("The voice and video mail settings are saved."))
            return redirect(reverse("accounts:company") + "#messages")
    return render(
        request, "messaging/company_settings.html", {"form": form, "usage": usage}, status=400
    )
