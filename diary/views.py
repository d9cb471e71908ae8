"""The diary pages: day, week, month and agenda views, the appointment form, import,
export, and the private feed."""

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from diary import ical, layout, recurrence, selectors, services
from diary.forms import AppointmentForm, ImportForm, initial_for
from diary.models import Appointment, Attendee
from uc_web.lib.exceptions import ApplicationError
from uc_web.lib.signed_in import AuthedRequest


def _today(zone: str) -> dt.date:
    return timezone.now().astimezone(ZoneInfo(zone)).date()


def _day(value: str | None, zone: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return _today(zone)


def _calendar_url(view: str, day: dt.date) -> str:
    return reverse("diary:calendar") + "?" + urlencode({"view": view, "date": day.isoformat()})


@require_GET
@login_required
def calendar(request: AuthedRequest) -> HttpResponse:
    zone = request.user.time_zone_name
    view = request.GET.get("view") or "week"
    if view not in layout.VIEWS:
        view = "week"
    day = _day(request.GET.get("date"), zone)
    today = _today(zone)
    start, end = layout.view_range(view, day)
    shown = selectors.occurrence_list(user=request.user, start=start, end=end, time_zone=zone)
    days = layout.build_days(
        shown, start, end, zone, today, day.month, positioned=view in ("day", "week")
    )
    now_local = timezone.now().astimezone(ZoneInfo(zone))
    midnight = dt.datetime.combine(today, dt.time(), tzinfo=ZoneInfo(zone))
    day_length = (
        dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=ZoneInfo(zone))
        - midnight
    ).total_seconds()
    context: dict[str, Any] = {
        "view": view,
        "day": day,
        "today": today,
        "zone": zone,
        "days": days,
        "weeks": layout.weeks(days) if view == "month" else [],
        "agenda_days": [d for d in days if d.items] if view == "agenda" else [],
        "hours": [dt.time(h) for h in range(24)],
        "now_top": round((now_local - midnight).total_seconds() / day_length * 100, 3),
        "previous": _calendar_url(view, layout.step(view, day, -1)),
        "next": _calendar_url(view, layout.step(view, day, 1)),
        "today_url": _calendar_url(view, today),
        "view_urls": [(v, _calendar_url(v, day)) for v in layout.VIEWS],
        "mini": layout.mini_calendar(day, today),
        "mini_view": "day" if view in ("month", "agenda") else view,
        "weekday_names": [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")],
    }
    return render(request, "diary/calendar.html", context)


def _invitees(form: AppointmentForm) -> list[services.Invitee]:
    people = [services.Invitee(email=u.email, user=u) for u in form.cleaned_data["colleagues"]]
    people += [services.Invitee(email=e) for e in form.cleaned_data["guests"]]
    return people


FORM_FRAME = "appointment-form"


def _saved(request: HttpRequest, url: str) -> HttpResponse:
    """After a save: the calendar page; from the calendar's form dialog (a Turbo frame),
    a frame that tells the page to go there (the message of the save is shown there)."""
    if request.headers.get("Turbo-Frame") == FORM_FRAME:
        return render(request, "diary/_form_saved.html", {"url": url})
    return redirect(url)


def _back(request: AuthedRequest, day: dt.date) -> str:
    view = request.POST.get("view") or request.GET.get("view") or "week"
    return _calendar_url(view if view in layout.VIEWS else "week", day)


@require_http_methods(["GET", "POST"])
@login_required
def appointment_new(request: AuthedRequest) -> HttpResponse:
    zone = request.user.time_zone_name
    if request.method == "POST":
        form = AppointmentForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                row = services.appointment_create(
                    owner=request.user,
                    title=data["title"],
                    start=data["start"],
                    end=data["end"],
                    all_day=data["all_day"],
                    time_zone=zone,
                    location=data["location"],
                    description=data["description"],
                    show_as=data["show_as"],
                    private=data["private"],
                    reminders=data["reminders"],
                    rrule=data["rrule"],
                    attendees=_invitees(form),
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Appointment “%(t)s” saved.") % {"t": row.title})
                return _saved(request, _back(request, row.start.astimezone(ZoneInfo(zone)).date()))
    else:
        initial: dict[str, Any] = {"show_as": Appointment.ShowAs.BUSY, "reminders": [15]}
        raw = request.GET.get("start", "")
        try:
            if "T" in raw:
                start = dt.datetime.fromisoformat(raw)
                initial.update(
                    date=start.date(),
                    start_time=start.time(),
                    end_time=(start + dt.timedelta(hours=1)).time(),
                )
            elif raw:
                initial.update(
                    date=dt.date.fromisoformat(raw), all_day=request.GET.get("all_day") == "1"
                )
        except ValueError:
            pass
        initial.setdefault("date", _today(zone))
        form = AppointmentForm(initial=initial, user=request.user)
    return render(
        request,
        "diary/appointment_form.html",
        {"form": form, "title": _("New appointment"), "view": request.GET.get("view", "week")},
    )


def _occurrence_times(row: Appointment, key: str) -> tuple[dt.datetime, dt.datetime, str]:
    """Start and end of the occurrence `key` of `row` (the row itself without a key)."""
    if not row.rrule or not key:
        return row.start, row.end, ""
    begin = recurrence.parse_iso(key)
    return begin, begin + (row.end - row.start), key


@require_http_methods(["GET", "POST"])
@login_required
def appointment_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(selectors.appointment_owned_list(user=request.user), pk=pk)
    zone = request.user.time_zone_name
    recurring = bool(row.rrule or row.series_id)
    try:
        start, end, key = _occurrence_times(
            row, request.GET.get("occurrence") or request.POST.get("occurrence", "")
        )
    except ApplicationError:
        raise Http404 from None
    if request.method == "POST":
        form = AppointmentForm(request.POST, user=request.user, recurring=recurring)
        if form.is_valid():
            data = form.cleaned_data
            changes = {
                k: data[k]
                for k in (
                    "title",
                    "location",
                    "description",
                    "all_day",
                    "start",
                    "end",
                    "show_as",
                    "private",
                    "reminders",
                )
            }
            changes["time_zone"] = zone if not recurring else (row.series or row).time_zone
            scope = data.get("scope") or services.Scope.ALL
            if scope != services.Scope.THIS:
                changes["rrule"] = data["rrule"]
            try:
                saved = services.appointment_update(
                    appointment=row,
                    by=request.user,
                    changes=changes,
                    scope=scope,
                    occurrence=recurrence.parse_iso(key) if key else None,
                    attendees=_invitees(form) if scope != services.Scope.THIS else None,
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Appointment “%(t)s” saved.") % {"t": saved.title})
                return _saved(request, _back(request, data["date"]))
    else:
        initial = initial_for(row, zone, start, end)
        head = row.series or row
        attendees = list(head.attendees.all())
        initial["colleagues"] = [a.user_id for a in attendees if a.user_id]
        initial["guests"] = ", ".join(a.email for a in attendees if not a.user_id)
        initial["occurrence"] = key
        initial["scope"] = "this" if row.series_id or key else "all"
        form = AppointmentForm(initial=initial, user=request.user, recurring=recurring)
    return render(
        request,
        "diary/appointment_form.html",
        {
            "form": form,
            "title": _("Edit appointment"),
            "appointment": row,
            "occurrence": key,
            "recurring": recurring,
            "view": request.GET.get("view", "week"),
        },
    )


@require_POST
@login_required
def appointment_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(selectors.appointment_owned_list(user=request.user), pk=pk)
    key = request.POST.get("occurrence", "")
    day = row.start.astimezone(ZoneInfo(request.user.time_zone_name)).date()
    try:
        services.appointment_delete(
            appointment=row,
            by=request.user,
            scope=request.POST.get("scope") or services.Scope.ALL,
            occurrence=recurrence.parse_iso(key) if key else None,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Appointment deleted."))
    return redirect(_back(request, day))


@require_POST
@login_required
def appointment_answer(request: AuthedRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(selectors.appointment_list(user=request.user), pk=pk)
    try:
        services.attendee_respond(
            appointment=row, user=request.user, status=request.POST.get("status", "")
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("You answered %(a)s.") % {"a": Attendee.Status(request.POST["status"]).label.lower()},
        )
    return redirect(
        _back(request, row.start.astimezone(ZoneInfo(request.user.time_zone_name)).date())
    )


def _ics_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@login_required
def appointment_ics(request: AuthedRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(selectors.appointment_list(user=request.user), pk=pk)
    head = row.series or row
    rows = [head, *head.overrides.all()]
    return _ics_response(ical.export_calendar(rows), "appointment.ics")


@require_GET
@login_required
def export(request: AuthedRequest) -> HttpResponse:
    rows = selectors.appointment_owned_list(user=request.user).select_related("owner")
    return _ics_response(
        ical.export_calendar(rows, name=_("Diary of %(n)s") % {"n": request.user.get_full_name()}),
        "diary.ics",
    )


@require_http_methods(["GET", "POST"])
@login_required
def import_file(request: AuthedRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > ical.MAX_BYTES:
            form.add_error("file", _("The file is too large (at most 20 MB)."))
        else:
            try:
                result = ical.import_calendar(
                    user=request.user, data=upload.read(), time_zone=request.user.time_zone_name
                )
            except ApplicationError as exc:
                form.add_error("file", exc.message)
            else:
                messages.success(
                    request,
                    _("Imported %(c)s new and %(u)s updated appointments.")
                    % {"c": result.created, "u": result.updated},
                )
                if not result.skipped:
                    return redirect("diary:calendar")
    return render(request, "diary/import.html", {"form": form, "result": result})


@require_http_methods(["GET", "POST"])
@login_required
def feed(request: AuthedRequest) -> HttpResponse:
    if request.method == "POST":
        services.feed_regenerate(user=request.user)
        messages.success(request, _("A new feed address was made; the old one no longer works."))
        return redirect("diary:feed-settings")
    current = services.feed_get_or_create(user=request.user)
    url = request.build_absolute_uri(reverse("diary:feed", args=[current.token]))
    return render(request, "diary/feed.html", {"url": url})


@require_GET
def feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    """The subscription feed: no sign-in, the secret token opens exactly one diary, read
    only; private appointments show as busy without details."""
    found = selectors.feed_get(token=token)
    if found is None:
        raise Http404
    rows = selectors.appointment_owned_list(user=found.user).select_related("owner")
    content = ical.export_calendar(
        rows, name=found.user.get_full_name() or _("Diary"), busy_only_private_for=found.user
    )
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
