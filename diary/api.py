"""The diary API (/api/v1/diary/): occurrences in a range, appointments and their series,
answers to invitations, free/busy of colleagues, import, the private feed.

Every lookup goes through a selector of the signed-in user, so an appointment that is
neither theirs nor one they are invited to answers 404, as a forged id does.
"""

import datetime as dt
from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from diary import ical, recurrence, selectors, services
from diary.models import Appointment, Attendee
from diary.selectors import Shown
from uc_web.lib import publicid
from uc_web.lib.api import PublicIdField
from uc_web.lib.exceptions import ApplicationError
from uc_web.lib.signed_in import AuthedApiRequest

APPOINTMENT = publicid.kind_of(Appointment)
USER = publicid.kind_of(User)
MAX_RANGE_DAYS = 400


def user_zone(user: User) -> str:
    return user.time_zone_name


def occurrence_data(shown: Shown) -> dict[str, Any]:
    """An occurrence as the diary pages and the API show it."""
    o = shown.occurrence
    row = o.appointment
    return {
        "id": publicid.of(row),
        "series": publicid.encode(APPOINTMENT, o.series_id) if o.series_id else None,
        "occurrence": o.key,
        "title": row.title,
        "location": row.location,
        "start": o.start.isoformat(),
        "end": o.end.isoformat(),
        "all_day": row.all_day,
        "show_as": row.show_as,
        "private": row.private,
        "recurring": o.series_id is not None,
        "mine": shown.mine,
        "status": shown.status,
    }


class AttendeeSerializer(serializers.Serializer):
    user = PublicIdField(USER, required=False, allow_null=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    status = serializers.CharField(read_only=True)


class RepeatSerializer(serializers.Serializer):
    freq = serializers.ChoiceField(choices=[f.lower() for f in recurrence.FREQUENCIES])
    interval = serializers.IntegerField(min_value=1, max_value=999, default=1)
    weekdays = serializers.ListField(
        child=serializers.ChoiceField(choices=list(recurrence.WEEKDAYS)), required=False
    )
    monthly_by = serializers.ChoiceField(choices=["date", "position"], default="date")
    count = serializers.IntegerField(
        min_value=1, max_value=recurrence.MAX_OCCURRENCES, required=False
    )
    until = serializers.DateField(required=False)


class AppointmentInSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    all_day = serializers.BooleanField(default=False)
    time_zone = serializers.CharField(max_length=64, required=False)
    location = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    show_as = serializers.ChoiceField(choices=Appointment.ShowAs.choices, required=False)
    private = serializers.BooleanField(required=False)
    reminders = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=services.MAX_REMINDER_MINUTES),
        required=False,
        max_length=services.MAX_REMINDERS,
    )
    rrule = serializers.CharField(max_length=500, required=False, allow_blank=True)
    repeat = RepeatSerializer(required=False, allow_null=True)
    attendees = AttendeeSerializer(many=True, required=False)
    # For changes to a series: which occurrence, and how far the change reaches.
    scope = serializers.ChoiceField(choices=services.Scope.CHOICES, required=False)
    occurrence = serializers.CharField(required=False, allow_blank=True)


def _invitees(request: AuthedApiRequest, items: list[dict[str, Any]]) -> list[services.Invitee]:
    people = []
    for item in items:
        if item.get("user"):
            colleague = selectors.colleague_list(user=request.user, ids=[item["user"]])
            if not colleague:
                raise ApplicationError("You can only invite your colleagues by name.")
            people.append(services.Invitee(email=colleague[0].email, user=colleague[0]))
        elif item.get("email"):
            people.append(services.Invitee(email=item["email"], name=item.get("name", "")))
        else:
            raise ApplicationError("Give each attendee a colleague or an email address.")
    return people


def _rule(data: dict[str, Any], zone: str) -> str | None:
    if data.get("repeat"):
        r = data["repeat"]
        return recurrence.build_rule(
            freq=r["freq"],
            interval=r.get("interval", 1),
            weekdays=r.get("weekdays", []),
            monthly_by=r.get("monthly_by", "date"),
            start=data.get("start"),
            time_zone=zone,
            count=r.get("count"),
            until=r.get("until"),
        )
    if "repeat" in data or "rrule" in data:
        return data.get("rrule") or ""
    return None


def appointment_data(row: Appointment, user: User) -> dict[str, Any]:
    head_id = row.series_id or row.pk
    attendees = selectors.attendee_list(user=user, appointment=row)
    mine = row.owner_id == user.pk
    me = next((a for a in attendees if a.user_id == user.pk), None)
    return {
        "id": publicid.of(row),
        "series": publicid.encode(APPOINTMENT, row.series_id) if row.series_id else None,
        "uid": row.uid,
        "title": row.title,
        "location": row.location,
        "description": row.description,
        "start": row.start.isoformat(),
        "end": row.end.isoformat(),
        "all_day": row.all_day,
        "time_zone": row.time_zone,
        "show_as": row.show_as,
        "private": row.private,
        "reminders": row.reminders,
        "rrule": row.rrule,
        "exdates": row.exdates,
        "recurrence_id": recurrence.iso(row.recurrence_id) if row.recurrence_id else None,
        # An imported appointment keeps the organiser its file named (not a user here).
        "organiser": (
            {
                "id": None,
                "name": row.organiser_name or row.organiser_email,
                "email": row.organiser_email,
                "external": True,
            }
            if row.organiser_email
            else {
                "id": publicid.of(row.owner),
                "name": row.owner.get_full_name() or row.owner.email,
                "email": row.owner.email,
                "external": False,
            }
        ),
        "attendees": [
            {
                "user": publicid.of(a.user) if a.user_id else None,
                "email": a.email,
                "name": a.name,
                "status": a.status,
            }
            for a in attendees
        ],
        "mine": mine,
        "my_status": me.status if me else "",
        "ics": reverse("diary:ics", args=[head_id]),
    }


def _occurrence(value: str | None) -> dt.datetime | None:
    return recurrence.parse_iso(value) if value else None


class OccurrenceListView(APIView):
    """Occurrences from local day `start` to (not including) `end` in the user's zone."""

    request: AuthedApiRequest

    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        parameters=[
            OpenApiParameter("start", str, description="YYYY-MM-DD"),
            OpenApiParameter("end", str, description="YYYY-MM-DD (exclusive)"),
        ],
    )
    def get(self, request: AuthedApiRequest) -> Response:
        try:
            start = dt.date.fromisoformat(request.query_params.get("start", ""))
            end = dt.date.fromisoformat(request.query_params.get("end", ""))
        except ValueError:
            raise ValidationError({"detail": "start and end are dates (YYYY-MM-DD)."}) from None
        if not start < end or (end - start).days > MAX_RANGE_DAYS:
            raise ValidationError(
                {"detail": f"end after start, at most {MAX_RANGE_DAYS} days later."}
            )
        zone = user_zone(request.user)
        shown = selectors.occurrence_list(user=request.user, start=start, end=end, time_zone=zone)
        return Response({"time_zone": zone, "occurrences": [occurrence_data(s) for s in shown]})


class AppointmentListView(APIView):
    request: AuthedApiRequest
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(responses=OpenApiTypes.OBJECT, request=AppointmentInSerializer)
    def post(self, request: AuthedApiRequest) -> Response:
        s = AppointmentInSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = s.validated_data
        zone = data.get("time_zone") or user_zone(request.user)
        row = services.appointment_create(
            owner=request.user,
            title=data["title"],
            start=data["start"],
            end=data["end"],
            all_day=data.get("all_day", False),
            time_zone=zone,
            location=data.get("location", ""),
            description=data.get("description", ""),
            show_as=data.get("show_as", Appointment.ShowAs.BUSY),
            private=data.get("private", False),
            reminders=data.get("reminders", []),
            rrule=_rule(data, zone) or "",
            attendees=_invitees(request, data.get("attendees", [])),
        )
        return Response(appointment_data(row, request.user), status=status.HTTP_201_CREATED)


class AppointmentView(APIView):
    request: AuthedApiRequest
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def _get(self, request: AuthedApiRequest, pk: int) -> Appointment:
        return get_object_or_404(selectors.appointment_list(user=request.user), pk=pk)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: AuthedApiRequest, pk: int) -> Response:
        return Response(appointment_data(self._get(request, pk), request.user))

    @extend_schema(responses=OpenApiTypes.OBJECT, request=AppointmentInSerializer)
    def patch(self, request: AuthedApiRequest, pk: int) -> Response:
        row = self._get(request, pk)
        s = AppointmentInSerializer(data=request.data, partial=True)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        zone = data.get("time_zone") or row.time_zone
        changes = {k: v for k, v in data.items() if k in services.FIELDS}
        rule = _rule(data, zone)
        if rule is not None:
            changes["rrule"] = rule
        attendees = _invitees(request, data["attendees"]) if "attendees" in data else None
        updated = services.appointment_update(
            appointment=row,
            by=request.user,
            changes=changes,
            scope=data.get("scope", services.Scope.ALL),
            occurrence=_occurrence(data.get("occurrence")),
            attendees=attendees,
        )
        return Response(appointment_data(updated, request.user))

    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        parameters=[
            OpenApiParameter("scope", str, enum=list(services.Scope.CHOICES)),
            OpenApiParameter("occurrence", str, description="YYYYMMDDTHHMMSSZ"),
        ],
    )
    def delete(self, request: AuthedApiRequest, pk: int) -> Response:
        row = self._get(request, pk)
        services.appointment_delete(
            appointment=row,
            by=request.user,
            scope=request.query_params.get("scope", services.Scope.ALL),
            occurrence=_occurrence(request.query_params.get("occurrence")),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class AnswerSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[Attendee.Status.ACCEPTED, Attendee.Status.TENTATIVE, Attendee.Status.DECLINED]
    )


class AnswerView(APIView):
    """The invited user accepts, answers tentatively or declines."""

    request: AuthedApiRequest

    @extend_schema(responses=OpenApiTypes.OBJECT, request=AnswerSerializer)
    def post(self, request: AuthedApiRequest, pk: int) -> Response:
        row = get_object_or_404(selectors.appointment_list(user=request.user), pk=pk)
        s = AnswerSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        attendee = services.attendee_respond(
            appointment=row, user=request.user, status=s.validated_data["status"]
        )
        return Response({"status": attendee.status})


class FreeBusyView(APIView):
    """Busy blocks of colleagues on one day, and the first slot when all are free."""

    request: AuthedApiRequest

    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        parameters=[
            OpenApiParameter("people", str, description="comma-separated user ids"),
            OpenApiParameter("date", str, description="YYYY-MM-DD"),
            OpenApiParameter("duration", int, description="minutes (default 60)"),
        ],
    )
    def get(self, request: AuthedApiRequest) -> Response:
        try:
            day = dt.date.fromisoformat(request.query_params.get("date", ""))
            duration = int(request.query_params.get("duration", "60"))
        except ValueError:
            raise ValidationError({"detail": "date is YYYY-MM-DD, duration minutes."}) from None
        if not 5 <= duration <= 24 * 60:
            raise ValidationError({"detail": "duration is 5 to 1440 minutes."})
        ids = []
        for item in filter(None, request.query_params.get("people", "").split(",")[:50]):
            pk = publicid.decode_or_none(USER, item)
            if pk is None:
                raise ValidationError({"detail": "Not a valid id."})
            ids.append(pk)
        people = selectors.colleague_list(user=request.user, ids=[*ids, request.user.pk])
        if len({p.pk for p in people}) != len({*ids, request.user.pk}):
            raise ValidationError({"detail": "Free/busy is shown for colleagues only."})
        zone = user_zone(request.user)
        busy = selectors.freebusy_list(
            user=request.user,
            people=people,
            start=day,
            end=day + dt.timedelta(days=1),
            time_zone=zone,
        )
        blocks = [b for items in busy.values() for b in items]
        first = selectors.first_free_slot(
            busy=blocks, day=day, duration=dt.timedelta(minutes=duration), time_zone=zone
        )
        return Response(
            {
                "people": {
                    publicid.encode(USER, pk): [
                        {"start": b.start.isoformat(), "end": b.end.isoformat()} for b in items
                    ]
                    for pk, items in busy.items()
                },
                "first_free": first.isoformat() if first else None,
            }
        )


class ImportView(APIView):
    request: AuthedApiRequest
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        },
        responses=OpenApiTypes.OBJECT,
    )
    def post(self, request: AuthedApiRequest) -> Response:
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"detail": "Choose an .ics file."})
        if upload.size > ical.MAX_BYTES:
            raise ApplicationError("The file is too large (at most 20 MB).", code="too_large")
        result = ical.import_calendar(
            user=request.user, data=upload.read(), time_zone=user_zone(request.user)
        )
        return Response(result.as_dict(), status=status.HTTP_201_CREATED)


class FeedView(APIView):
    """The private subscription URL of my diary; POST makes a new one (revoking the old)."""

    request: AuthedApiRequest

    def _data(self, request: AuthedApiRequest, feed: Any) -> dict[str, str]:
        return {"url": request.build_absolute_uri(reverse("diary:feed", args=[feed.token]))}

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: AuthedApiRequest) -> Response:
        return Response(self._data(request, services.feed_get_or_create(user=request.user)))

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request: AuthedApiRequest) -> Response:
        return Response(self._data(request, services.feed_regenerate(user=request.user)))
