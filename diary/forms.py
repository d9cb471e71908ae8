import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from diary import recurrence
from diary.models import Appointment
from uc_web.lib.forms import PublicModelMultipleChoiceField

REPEAT_CHOICES = [
    ("", _("Does not repeat")),
    ("daily", _("Daily")),
    ("weekly", _("Weekly")),
    ("monthly", _("Monthly on the same date")),
    ("monthly_position", _("Monthly on the same weekday (e.g. second Tuesday)")),
    ("yearly", _("Yearly")),
]
ENDS_CHOICES = [
    ("never", _("Never")),
    ("count", _("After a number of times")),
    ("until", _("On a date")),
]
REMINDER_CHOICES = [
    (0, _("At the start")),
    (5, _("5 minutes before")),
    (15, _("15 minutes before")),
    (30, _("30 minutes before")),
    (60, _("1 hour before")),
    (120, _("2 hours before")),
    (1440, _("1 day before")),
    (10080, _("1 week before")),
]
WEEKDAY_CHOICES = [
    ("MO", _("Mon")),
    ("TU", _("Tue")),
    ("WE", _("Wed")),
    ("TH", _("Thu")),
    ("FR", _("Fri")),
    ("SA", _("Sat")),
    ("SU", _("Sun")),
]
SCOPE_CHOICES = [
    ("this", _("This occurrence")),
    ("following", _("This and following occurrences")),
    ("all", _("All occurrences")),
]


class AppointmentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    date = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    start_time = forms.TimeField(
        label=_("Starts"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    end_date = forms.DateField(
        label=_("End date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end_time = forms.TimeField(
        label=_("Ends"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    all_day = forms.BooleanField(label=_("All day"), required=False)
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    repeat = forms.ChoiceField(label=_("Repeat"), choices=REPEAT_CHOICES, required=False)
    interval = forms.IntegerField(
        label=_("Every"), min_value=1, max_value=999, initial=1, required=False
    )
    weekdays = forms.MultipleChoiceField(
        label=_("On"), choices=WEEKDAY_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    ends = forms.ChoiceField(
        label=_("Repeat ends"), choices=ENDS_CHOICES, initial="never", required=False
    )
    count = forms.IntegerField(
        label=_("Number of times"),
        min_value=1,
        max_value=recurrence.MAX_OCCURRENCES,
        required=False,
    )
    until = forms.DateField(
        label=_("Last date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reminders = forms.TypedMultipleChoiceField(
        label=_("Reminders"),
        choices=REMINDER_CHOICES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    show_as = forms.ChoiceField(label=_("Show as"), choices=Appointment.ShowAs.choices)
    private = forms.BooleanField(
        label=_("Private"), required=False, help_text=_("Colleagues see only that you are busy.")
    )
    colleagues = PublicModelMultipleChoiceField(
        label=_("Invite colleagues"), queryset=User.objects.none(), required=False
    )
    guests = forms.CharField(
        label=_("Invite others by email"),
        required=False,
        max_length=5000,
        help_text=_(
            "Email addresses, separated by commas or new lines; they get an .ics invitation."
        ),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    scope = forms.ChoiceField(
        label=_("Change"), choices=SCOPE_CHOICES, required=False, widget=forms.RadioSelect
    )
    occurrence = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, recurring: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.zone = user.time_zone_name
        self.fields["colleagues"].queryset = (
            User.objects.filter(company_id=user.company_id or 0, is_active=True)  # none: nobody
            .exclude(pk=user.pk)
            .order_by("first_name", "last_name")
        )
        self.fields["colleagues"].label_from_instance = lambda u: u.get_full_name() or u.email
        if not recurring:
            del self.fields["scope"]
        else:
            self.fields["scope"].required = True

    def clean_guests(self) -> list[str]:
        raw = self.cleaned_data.get("guests", "")
        found = []
        for item in raw.replace(";", ",").replace("\n", ",").split(","):
            item = item.strip()
            if not item:
                continue
            try:
                validate_email(item)
            except ValidationError:
                raise ValidationError(_("Not an email address: %(e)s") % {"e": item}) from None
            found.append(item)
        return found

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if self.errors:
            return data
        tz = ZoneInfo(self.zone)
        day = data["date"]
        end_day = data.get("end_date") or day
        if data.get("all_day"):
            start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
            end = dt.datetime.combine(end_day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        else:
            if data.get("start_time") is None:
                raise ValidationError({"start_time": _("Give a start time, or tick All day.")})
            start = dt.datetime.combine(day, data["start_time"], tzinfo=tz)
            end_time = (
                data.get("end_time")
                or (dt.datetime.combine(day, data["start_time"]) + dt.timedelta(hours=1)).time()
            )
            end = dt.datetime.combine(end_day, end_time, tzinfo=tz)
            if end <= start and not data.get("end_date"):
                end += dt.timedelta(days=1) if end_time < data["start_time"] else dt.timedelta(0)
        if end < start:
            raise ValidationError({"end_time": _("The end is before the start.")})
        data["start"], data["end"] = start, end
        repeat = data.get("repeat")
        if repeat:
            ends = data.get("ends") or "never"
            if ends == "count" and not data.get("count"):
                raise ValidationError({"count": _("Say how many times.")})
            if ends == "until" and not data.get("until"):
                raise ValidationError({"until": _("Say the last date.")})
            from uc_web.lib.exceptions import ApplicationError

            try:
                data["rrule"] = recurrence.build_rule(
                    freq="monthly" if repeat == "monthly_position" else repeat,
                    interval=data.get("interval") or 1,
                    weekdays=data.get("weekdays") or (),
                    monthly_by="position" if repeat == "monthly_position" else "date",
                    start=start,
                    time_zone=self.zone,
                    count=data.get("count") if ends == "count" else None,
                    until=data.get("until") if ends == "until" else None,
                )
            except ApplicationError as exc:
                raise ValidationError({"repeat": exc.message}) from None
        else:
            data["rrule"] = ""
        return data


def initial_for(
    row: Appointment, zone: str, start: dt.datetime, end: dt.datetime
) -> dict[str, Any]:
    """The form's values for an appointment (or one occurrence of it)."""
    tz = ZoneInfo(zone)
    if row.all_day:
        first, last = start.date(), (end - dt.timedelta(days=1)).date()
        times: dict[str, Any] = {"date": first, "end_date": last if last != first else None}
    else:
        ls, le = start.astimezone(tz), end.astimezone(tz)
        times = {
            "date": ls.date(),
            "start_time": ls.time().replace(second=0),
            "end_time": le.time().replace(second=0),
            "end_date": le.date() if le.date() != ls.date() else None,
        }
    initial = {
        "title": row.title,
        "all_day": row.all_day,
        "location": row.location,
        "description": row.description,
        "reminders": row.reminders,
        "show_as": row.show_as,
        "private": row.private,
        **times,
    }
    head = row.series or row
    if head.rrule:
        parts = recurrence.describe(head.rrule)
        freq = parts.get("FREQ", "").lower()
        byday = parts.get("BYDAY", "")
        if freq == "monthly" and byday and byday[0] in "-0123456789":
            freq = "monthly_position"
        initial.update(
            repeat=freq,
            interval=int(parts.get("INTERVAL", 1)),
            weekdays=[d for d in byday.split(",") if d in dict(WEEKDAY_CHOICES)],
            ends="count" if "COUNT" in parts else "until" if "UNTIL" in parts else "never",
            count=int(parts["COUNT"]) if "COUNT" in parts else None,
        )
        if "UNTIL" in parts:
            until = recurrence.parse_iso(parts["UNTIL"]) if parts["UNTIL"].endswith("Z") else None
            initial["until"] = until.astimezone(ZoneInfo(head.time_zone)).date() if until else None
    return initial


class ImportForm(forms.Form):
    file = forms.FileField(label=_("iCalendar file (.ics)"))
