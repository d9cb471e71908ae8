"""Where occurrences go on the calendar pages: days of a view, boxes positioned by time
with overlapping ones side by side, the month grid and the mini-calendar."""

import calendar as pycal
import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import dates

from diary.selectors import Shown

VIEWS = ("day", "week", "month", "agenda")
AGENDA_DAYS = 30


def view_range(view: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The first day shown and the day after the last."""
    if view == "day":
        return day, day + dt.timedelta(days=1)
    if view == "week":
        monday = day - dt.timedelta(days=day.weekday())
        return monday, monday + dt.timedelta(days=7)
    if view == "agenda":
        return day, day + dt.timedelta(days=AGENDA_DAYS)
    first = day.replace(day=1)
    start = first - dt.timedelta(days=first.weekday())
    last = day.replace(day=pycal.monthrange(day.year, day.month)[1])
    end = last + dt.timedelta(days=7 - last.weekday())
    return start, end


def step(view: str, day: dt.date, direction: int) -> dt.date:
    """The date of the previous (-1) or next (1) page of a view."""
    if view == "day":
        return day + dt.timedelta(days=direction)
    if view == "week":
        return day + dt.timedelta(days=7 * direction)
    if view == "agenda":
        return day + dt.timedelta(days=AGENDA_DAYS * direction)
    month = day.month - 1 + direction
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, pycal.monthrange(year, month)[1]))


@dataclass
class Box:
    """An occurrence in a day column: top and height in % of the day, lane of lanes."""

    shown: Shown
    start: dt.datetime  # local
    end: dt.datetime  # local
    top: float = 0.0
    height: float = 0.0
    lane: int = 0
    lanes: int = 1
    continues_before: bool = False
    continues_after: bool = False

    @property
    def left(self) -> float:
        return round(100 * self.lane / self.lanes, 3)

    @property
    def width(self) -> float:
        return round(100 / self.lanes, 3)


@dataclass
class Day:
    date: dt.date
    today: bool
    in_month: bool = True
    all_day: list[Shown] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)
    items: list[Shown] = field(default_factory=list)  # month/agenda: everything, in order


def _lay_out(boxes: list[Box]) -> None:
    """Overlapping boxes share the width: each cluster of overlaps gets as many lanes as
    it needs at most at once, and each box the first lane free at its start."""
    boxes.sort(key=lambda b: (b.start, -(b.end - b.start).total_seconds()))
    cluster: list[Box] = []
    lane_ends: list[dt.datetime] = []
    cluster_end: dt.datetime | None = None

    def close() -> None:
        for b in cluster:
            b.lanes = len(lane_ends)

    for box in boxes:
        if cluster_end is not None and box.start >= cluster_end:
            close()
            cluster, lane_ends, cluster_end = [], [], None
        for i, end in enumerate(lane_ends):
            if end <= box.start:
                box.lane = i
                lane_ends[i] = box.end
                break
        else:
            box.lane = len(lane_ends)
            lane_ends.append(box.end)
        cluster.append(box)
        cluster_end = box.end if cluster_end is None else max(cluster_end, box.end)
    close()


def build_days(
    shown: list[Shown],
    start: dt.date,
    end: dt.date,
    zone: str,
    today: dt.date,
    month: int,
    *,
    positioned: bool = True,
) -> list[Day]:
    """The days from `start` to `end` with what happens on each; `positioned=False` (the
    month and agenda views, which list rather than draw) leaves out the boxes."""
    tz = ZoneInfo(zone)
    days = []
    index: dict[dt.date, Day] = {}
    # Local midnights of every day shown and the one after (a day can have 23 or 25 hours).
    midnights: dict[dt.date, dt.datetime] = {}
    current = start
    while current <= end:
        midnights[current] = dt.datetime.combine(current, dt.time(), tzinfo=tz)
        if current < end:
            day = Day(current, current == today, current.month == month)
            days.append(day)
            index[current] = day
        current += dt.timedelta(days=1)
    one_day = dt.timedelta(days=1)
    for item in shown:
        o = item.occurrence
        if o.appointment.all_day:
            first, last = o.start.date(), (o.end - dt.timedelta(seconds=1)).date()
            d = max(first, start)
            while d <= last and d < end:
                index[d].all_day.append(item)
                index[d].items.append(item)
                d += dt.timedelta(days=1)
            continue
        local_start = o.start.astimezone(tz)
        d = max(local_start.date(), start)
        if not positioned:
            if d < end:
                index[d].items.append(item)
            continue
        local_end = o.end.astimezone(tz)
        last = (
            (local_end - dt.timedelta(microseconds=1)).date()
            if local_end > local_start
            else local_start.date()
        )
        while d <= last and d < end:
            midnight, next_midnight = midnights[d], midnights[d + one_day]
            seg_start, seg_end = max(local_start, midnight), min(local_end, next_midnight)
            # Minutes of wall-clock time: a day of 23 or 25 hours still fills the column.
            length = (next_midnight - midnight).total_seconds()
            top = (seg_start - midnight).total_seconds() / length * 100
            height = max((seg_end - seg_start).total_seconds() / length * 100, 1.5)
            box = Box(
                item,
                seg_start,
                max(seg_end, seg_start + dt.timedelta(minutes=20)),
                top=round(top, 3),
                height=round(min(height, 100 - top), 3),
                continues_before=local_start < midnight,
                continues_after=local_end > next_midnight,
            )
            index[d].boxes.append(box)
            if d == max(local_start.date(), start):
                index[d].items.append(item)
            d += dt.timedelta(days=1)
    for day in days:
        _lay_out(day.boxes)
    return days


def weeks(days: list[Day]) -> list[list[Day]]:
    return [days[i : i + 7] for i in range(0, len(days), 7)]


def mini_calendar(day: dt.date, today: dt.date) -> dict[str, Any]:
    """The small month navigator: weeks of dates (None outside the month)."""
    cal = pycal.Calendar(firstweekday=0)
    # Names as the `date` filter's "l j F Y" gives them, without a filter call per day.
    weekdays = [str(n) for n in dates.WEEKDAYS.values()]
    months = {k: str(n) for k, n in dates.MONTHS.items()}
    return {
        "month": day.replace(day=1),
        "weeks": [
            [
                (
                    d,
                    d.month == day.month,
                    d == today,
                    d == day,
                    d.isoformat(),
                    f"{weekdays[d.weekday()]} {d.day} {months[d.month]} {d.year}",
                )
                for d in week
            ]
            for week in cal.monthdatescalendar(day.year, day.month)
        ],
        "previous": step("month", day.replace(day=1), -1),
        "next": step("month", day.replace(day=1), 1),
    }
