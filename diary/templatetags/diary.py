"""How an occurrence looks on the calendar pages."""

import datetime as dt
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from django import template
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from diary.layout import Box, Day
from diary.selectors import Shown
from uc_web.lib import publicid

register = template.Library()

LABELS = {"day": _("Day"), "week": _("Week"), "month": _("Month"), "agenda": _("Agenda")}


@register.simple_tag
def view_label(name: str) -> str:
    return {"day": _("Day"), "week": _("Week"), "month": _("Month"), "agenda": _("Agenda")}[name]


@register.simple_tag
def view_title(view: str, days: list[Day]) -> str:
    first, last = days[0].date, days[-1].date
    if view == "day":
        return date_filter(first, "l j F Y")
    if view == "month":
        middle = days[len(days) // 2].date
        return date_filter(middle, "F Y")
    return f"{date_filter(first, 'j M')} – {date_filter(last, 'j M Y')}"


def _classes(shown: Shown) -> str:
    row = shown.occurrence.appointment
    classes = ["diary-event"]
    if row.show_as == "free":
        classes.append("is-free")
    if not shown.mine:
        classes.append("is-invited")
        if shown.status in ("needs_action", "tentative"):
            classes.append("is-pending")
    if row.private:
        classes.append("is-private")
    return " ".join(classes)


def _label(shown: Shown, zone: str, start: dt.datetime | None = None) -> str:
    o = shown.occurrence
    row = o.appointment
    if row.all_day:
        when = _("all day")
    else:
        tz = ZoneInfo(zone)
        begin = (start or o.start).astimezone(tz)
        when = f"{begin:%H:%M}–{o.end.astimezone(tz):%H:%M}"
    extra = []
    if o.series_id:
        extra.append(_("repeats"))
    if not shown.mine:
        extra.append(
            {
                "needs_action": _("invitation, not answered"),
                "tentative": _("tentative"),
                "accepted": _("accepted"),
            }.get(shown.status, "")
        )
    if row.private:
        extra.append(_("private"))
    return ", ".join(p for p in [row.title, when, *extra] if p)


def _data(shown: Shown) -> dict[str, Any]:
    o = shown.occurrence
    return {
        "id": publicid.of(o.appointment),
        "occurrence": o.key if o.series_id and o.appointment.pk == o.series_id else "",
        "start": o.start.isoformat(),
        "end": o.end.isoformat(),
    }


def _chip(shown: Shown, zone: str, with_time: bool) -> str:
    """A chip's HTML; every value in it escaped (html.escape, as Django's escape)."""
    o = shown.occurrence
    d = _data(shown)
    time = ""
    if with_time and not o.appointment.all_day:
        time = f'<span class="diary-time">{o.start.astimezone(ZoneInfo(zone)):%H:%M} </span>'
    repeat = ' <i class="bi bi-arrow-repeat" aria-hidden="true"></i>' if o.series_id else ""
    return (
        f'<button type="button" class="{_classes(shown)} diary-chip" data-event '
        f'data-id="{escape(d["id"])}" data-occurrence="{escape(d["occurrence"])}" '
        f'data-start="{d["start"]}" data-end="{d["end"]}" '
        f'aria-label="{escape(_label(shown, zone))}">'
        f'{time}<span class="diary-title">{escape(o.appointment.title)}</span>{repeat}</button>'
    )


@register.simple_tag(takes_context=True)
def occurrence_chip(context: dict, shown: Shown, with_time: bool = False) -> str:
    return mark_safe(_chip(shown, context.get("zone", "UTC"), with_time))  # noqa: S308 - escaped


@register.simple_tag(takes_context=True)
def occurrence_box(context: dict, box: Box) -> str:
    zone = context.get("zone", "UTC")
    shown = box.shown
    o = shown.occurrence
    d = _data(shown)
    tz = ZoneInfo(zone)
    return format_html(
        '<button type="button" class="{} diary-box" data-event data-id="{}" data-occurrence="{}" '
        'data-start="{}" data-end="{}" data-lane="{}" data-lanes="{}" '
        'style="top: {}%; height: {}%; left: {}%; width: {}%" aria-label="{}">'
        '<span class="diary-time">{}</span> <span class="diary-title">{}</span>'
        '<span class="diary-where">{}</span></button>',
        _classes(shown),
        d["id"],
        d["occurrence"],
        d["start"],
        d["end"],
        box.lane,
        box.lanes,
        box.top,
        box.height,
        box.left,
        box.width,
        _label(shown, zone),
        f"{o.start.astimezone(tz):%H:%M}",
        o.appointment.title,
        o.appointment.location,
    )


# The month grid is the busiest page of the diary (42 days, up to 4 chips each): built in
# one pass here rather than with template loops and filters per cell, which took most of
# its time (docs/performance.md, "Diary").
MONTH_CHIPS = 4


@register.simple_tag(takes_context=True)
def month_grid(context: dict, weeks: list[list[Day]], weekday_names: list[str]) -> str:
    new_url = reverse("diary:new")
    zone = context.get("zone", "UTC")
    month_names: dict[tuple[int, int], str] = {}
    out = [
        '<table class="table table-bordered diary-month" data-diary-month><thead><tr>',
        *(
            format_html('<th scope="col" class="small fw-normal text-body-secondary">{}</th>', n)
            for n in weekday_names
        ),
        "</tr></thead><tbody>",
    ]
    for week in weeks:
        out.append("<tr>")
        for d in week:
            iso_day = d.date.isoformat()
            key = (d.date.year, d.date.month)
            if key not in month_names:
                month_names[key] = date_filter(d.date, "F")
            classes = "diary-month-day"
            if not d.in_month:
                classes += " text-body-tertiary"
            if d.today:
                classes += " is-today"
            out.append(
                format_html(
                    '<td class="{}"{}><div class="d-flex justify-content-between">'
                    '<a class="small" href="?view=day&amp;date={}">{}</a>'
                    '<a class="small diary-add" href="{}?view=month&amp;start={}" '
                    'data-turbo-frame="appointment-form" '
                    'aria-label="{}"><i class="bi bi-plus" aria-hidden="true"></i></a></div>',
                    classes,
                    mark_safe(' aria-current="date"') if d.today else "",  # noqa: S308
                    iso_day,
                    d.date.day,
                    new_url,
                    iso_day,
                    _("New appointment on %(day)s") % {"day": f"{d.date.day} {month_names[key]}"},
                )
            )
            out.extend(_chip(item, zone, True) for item in d.items[:MONTH_CHIPS])
            more = len(d.items) - MONTH_CHIPS
            if more > 0:
                out.append(
                    format_html(
                        '<a class="small" href="?view=day&amp;date={}">{}</a>',
                        iso_day,
                        ngettext("%(n)s more", "%(n)s more", more) % {"n": more},
                    )
                )
            out.append("</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return mark_safe("".join(out))  # noqa: S308 - every part above is escaped
