from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import presence, selectors, services
from accounts.models import ContactRequest, Profile, Region, User, time_zone_names
from uc_web.lib import phones, publicid
from uc_web.lib.api import PublicIdField, PublicIdRelatedField, PublicModelSerializer
from uc_web.lib.signed_in import AuthedApiRequest

USER = publicid.kind_of(User)

PROFILE_API_FIELDS = list(Profile.EDITABLE_FIELDS)


class MeSerializer(PublicModelSerializer):
    company = serializers.CharField(source="company.name", default=None, read_only=True)
    name = serializers.CharField(source="get_full_name", read_only=True)
    roles = serializers.SerializerMethodField()
    photo = serializers.SerializerMethodField()
    job_title = serializers.CharField(
        source="profile.job_title", max_length=100, allow_blank=True, required=False
    )
    department = serializers.CharField(
        source="profile.department", max_length=100, allow_blank=True, required=False
    )
    phone_mobile = serializers.CharField(
        source="profile.phone_mobile", max_length=40, allow_blank=True, required=False
    )
    phone_work = serializers.CharField(
        source="profile.phone_work", max_length=40, allow_blank=True, required=False
    )
    phone_home = serializers.CharField(
        source="profile.phone_home", max_length=40, allow_blank=True, required=False
    )
    time_zone = serializers.ChoiceField(
        source="profile.time_zone", choices=[], allow_blank=True, required=False
    )
    language = serializers.ChoiceField(
        source="profile.language", choices=[], allow_blank=True, required=False
    )
    date_format = serializers.ChoiceField(
        source="profile.date_format", choices=Profile.DateFormat.choices, required=False
    )
    dialling_country = serializers.ChoiceField(
        source="profile.dialling_country", choices=[], allow_blank=True, required=False
    )
    ring_timeout_seconds = serializers.IntegerField(
        source="profile.ring_timeout_seconds", min_value=5, max_value=120, required=False
    )
    sounds_enabled = serializers.BooleanField(source="profile.sounds_enabled", required=False)
    desktop_notifications = serializers.BooleanField(
        source="profile.desktop_notifications", required=False
    )
    away_after_minutes = serializers.IntegerField(
        source="profile.away_after_minutes", min_value=1, max_value=240, required=False
    )
    presence_visibility = serializers.ChoiceField(
        source="profile.presence_visibility",
        choices=Profile.PresenceVisibility.choices,
        required=False,
    )
    contact_requests_from = serializers.ChoiceField(
        source="profile.contact_requests_from",
        choices=Profile.ContactRequestsFrom.choices,
        required=False,
    )
    directory_visible_outside = serializers.BooleanField(
        source="profile.directory_visible_outside", required=False
    )
    calls_via_server = serializers.BooleanField(
        source="profile.calls_via_server",
        required=False,
        help_text="route this user's calls through the server's media relay",
    )
    regions = PublicIdRelatedField(
        source="profile.regions", many=True, queryset=Region.objects.none(), required=False
    )

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "name",
            "company",
            "roles",
            "photo",
            *PROFILE_API_FIELDS,
            "regions",
        ]
        read_only_fields = ["id", "email", "name", "company", "roles", "photo"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = sorted(time_zone_names())
        self.fields["language"].choices = [code for code, _ in settings.LANGUAGES]
        self.fields["dialling_country"].choices = [code for code, _ in countries]
        user = self.context.get("user")
        if user is not None:
            # Countries and the user's own company's markets, nothing else.
            self.fields["regions"].child_relation.queryset = selectors.region_list(user=user)

    def get_roles(self, user: User) -> list[str]:
        return sorted(g.name for g in user.groups.all())

    def get_photo(self, user: User) -> dict[str, str]:
        return {"small": user.photo_url_small, "large": user.photo_url_large}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        profile = attrs.get("profile", {})
        default = self.instance.default_dialling_country if self.instance else ""
        country = profile.get("dialling_country", default)
        errors = {}
        for name in ("phone_mobile", "phone_work", "phone_home"):
            if name in profile:
                try:
                    profile[name] = phones.to_e164(profile[name], country=country)
                except DjangoValidationError as error:
                    errors[name] = error.messages
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class MeView(APIView):
    """The signed-in user and their profile. Clients call it on (re)connect, too."""

    request: AuthedApiRequest

    def _serializer(self, request: AuthedApiRequest, **kwargs: Any) -> MeSerializer:
        services.profile_ensure(user=request.user)
        return MeSerializer(request.user, context={"user": request.user}, **kwargs)

    @extend_schema(responses=MeSerializer)
    def get(self, request: AuthedApiRequest) -> Response:
        return Response(self._serializer(request).data)

    @extend_schema(request=MeSerializer, responses=MeSerializer)
    def patch(self, request: AuthedApiRequest) -> Response:
        serializer = self._serializer(request, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        profile_data = dict(data.pop("profile", {}))
        regions = profile_data.pop("regions", None)
        try:
            with transaction.atomic():
                services.profile_update(user=request.user, data={**data, **profile_data})
                if regions is not None:
                    services.profile_regions_set(user=request.user, regions=regions)
        except DjangoValidationError as error:
            raise serializers.ValidationError(
                error.message_dict if hasattr(error, "error_dict") else error.messages
            ) from error
        request.user.refresh_from_db()
        return Response(MeSerializer(request.user, context={"user": request.user}).data)


class PresencePersonSerializer(serializers.Serializer):
    id = PublicIdField(USER)
    name = serializers.CharField()
    email = serializers.EmailField()
    initials = serializers.CharField()
    photo = serializers.CharField(allow_blank=True, help_text="URL of the 64 px photo, or empty")
    group = serializers.ChoiceField(choices=["favourites", "company", "contacts"])
    relation = serializers.ChoiceField(
        choices=["colleague", "contact", "pending"],
        help_text="pending: my contact request waits for their answer (no presence)",
    )
    favourite = serializers.BooleanField()
    state = serializers.ChoiceField(choices=presence.State.choices)
    text = serializers.CharField(allow_blank=True)


class MyPresenceSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=presence.State.choices)
    manual = serializers.CharField(allow_null=True)
    text = serializers.CharField(allow_blank=True)


class RequestPersonSerializer(serializers.Serializer):
    id = PublicIdField(USER)
    name = serializers.CharField()
    email = serializers.EmailField()
    initials = serializers.CharField()
    photo = serializers.CharField(allow_blank=True)
    company = serializers.CharField(allow_blank=True)


class ContactRequestSerializer(serializers.Serializer):
    id = PublicIdField(publicid.kind_of(ContactRequest))
    sender = RequestPersonSerializer()
    message = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


class PresenceSnapshotSerializer(serializers.Serializer):
    me = MyPresenceSerializer()
    people = PresencePersonSerializer(many=True)
    requests = ContactRequestSerializer(many=True, help_text="Requests waiting for my answer")


class PresenceView(APIView):
    """The Online Monitor's snapshot: everyone in my monitor, my own presence and the
    contact requests waiting for my answer.

    Clients load it on every (re)connect and on `monitor.changed`, then apply
    `presence.changed` events. Whoever may not see a person gets Offline for them.
    """

    request: AuthedApiRequest

    @extend_schema(responses=PresenceSnapshotSerializer)
    def get(self, request: AuthedApiRequest) -> Response:
        entries = selectors.monitor_people(user=request.user)
        snaps = async_to_sync(presence.get_store().snapshot)(
            [request.user.pk, *(e.user.pk for e in entries)], now=presence.clock()
        )
        mine = snaps[request.user.pk]
        data = {
            "me": {"state": mine.state.value, "manual": mine.manual, "text": mine.text},
            "people": [
                {
                    **selectors.person_data(entry.user),
                    "group": entry.group,
                    "relation": entry.relation,
                    "favourite": entry.favourite,
                    **(snaps[entry.user.pk] if entry.visible else presence.OFFLINE).public(),
                }
                for entry in entries
            ],
            "requests": [
                {
                    "id": req.pk,
                    "sender": {
                        **selectors.person_data(req.sender),
                        "company": req.sender.company.name if req.sender.company else "",
                    },
                    "message": req.message,
                    "created_at": req.created_at,
                }
                for req in selectors.contact_request_inbox(user=request.user)
            ],
        }
        return Response(PresenceSnapshotSerializer(data).data)


class MonitorAddSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False)
    user = PublicIdField(USER, required=False, help_text="A user id (from the directory)")
    message = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("email" in attrs) == ("user" in attrs):
            raise serializers.ValidationError("Give either an email address or a user.")
        return attrs


class MonitorAddResultSerializer(serializers.Serializer):
    added = serializers.ChoiceField(
        choices=["colleague", "request"],
        help_text="colleague: in the monitor now; request: a contact request was sent",
    )
    request = PublicIdField(publicid.kind_of(ContactRequest), allow_null=True)


# The same words whether or not the address has an account, so they reveal nothing.
NO_ONE_TO_ADD = _(
    "No one you can add has that email address. People outside your company can be added "
    "only if they allow it: they choose to be found by their email address and to take "
    "contact requests from anyone. Check the address, or ask them to allow it (Profile, "
    "Options)."
)


class MonitorPeopleView(APIView):
    """Add someone to my Online Monitor by email or user id: a colleague at once, anyone
    else through a contact request they accept or decline."""

    request: AuthedApiRequest

    @extend_schema(request=MonitorAddSerializer, responses={201: MonitorAddResultSerializer})
    def post(self, request: AuthedApiRequest) -> Response:
        serializer = MonitorAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "email" in data:
            person = selectors.reachable_by_email(user=request.user, email=data["email"])
            if person is None:
                raise serializers.ValidationError({"email": [NO_ONE_TO_ADD]})
        else:
            person = get_object_or_404(
                selectors.monitor_addable(user=request.user), pk=data["user"]
            )
        sent = services.monitor_add(user=request.user, person=person, message=data["message"])
        result = {"added": "request" if sent else "colleague", "request": sent and sent.pk}
        return Response(MonitorAddResultSerializer(result).data, status=201)


class MonitorPersonView(APIView):
    """Remove someone from my Online Monitor (ends a contact for both sides, withdraws my
    unanswered request, or hides a colleague)."""

    request: AuthedApiRequest

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: AuthedApiRequest, pk: int) -> Response:
        person = get_object_or_404(selectors.person_list(user=request.user), pk=pk)
        services.monitor_remove(user=request.user, person=person)
        return Response(status=204)


class FavouriteView(APIView):
    """PUT: put a person of my Online Monitor into Favourites; DELETE: take them out."""

    request: AuthedApiRequest

    def _set(self, request: AuthedApiRequest, pk: int, favourite: bool) -> Response:
        person = get_object_or_404(selectors.person_list(user=request.user), pk=pk)
        services.monitor_favourite_set(user=request.user, person=person, favourite=favourite)
        return Response(status=204)

    @extend_schema(request=None, responses={204: None})
    def put(self, request: AuthedApiRequest, pk: int) -> Response:
        return self._set(request, pk, True)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: AuthedApiRequest, pk: int) -> Response:
        return self._set(request, pk, False)


class ContactRequestAnswerView(APIView):
    """Accept or decline a contact request sent to me; DELETE withdraws one I sent."""

    request: AuthedApiRequest

    @extend_schema(request=None, responses={204: None})
    def post(self, request: AuthedApiRequest, pk: int, answer: str) -> Response:
        if answer not in ("accept", "decline"):
            raise Http404
        req = get_object_or_404(selectors.contact_request_inbox(user=request.user), pk=pk)
        if answer == "accept":
            services.contact_request_accept(request=req, by=request.user)
        else:
            services.contact_request_decline(request=req, by=request.user)
        return Response(status=204)


class ContactRequestView(APIView):
    request: AuthedApiRequest

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: AuthedApiRequest, pk: int) -> Response:
        req = get_object_or_404(selectors.contact_request_outbox(user=request.user), pk=pk)
        services.contact_request_cancel(request=req, by=request.user)
        return Response(status=204)


class BlockedPersonSerializer(serializers.Serializer):
    id = PublicIdField(USER, source="blocked_id")
    name = serializers.CharField(source="blocked.__str__")
    email = serializers.EmailField(source="blocked.email")
    created_at = serializers.DateTimeField()


class BlockListView(APIView):
    """People I blocked."""

    request: AuthedApiRequest

    @extend_schema(responses=BlockedPersonSerializer(many=True))
    def get(self, request: AuthedApiRequest) -> Response:
        blocks = selectors.block_list(user=request.user)
        return Response(BlockedPersonSerializer(blocks, many=True).data)


class BlockView(APIView):
    """PUT blocks a person (no requests, no calls, no presence either way); DELETE unblocks."""

    request: AuthedApiRequest

    @extend_schema(request=None, responses={204: None})
    def put(self, request: AuthedApiRequest, pk: int) -> Response:
        person = get_object_or_404(selectors.monitor_addable(user=request.user), pk=pk)
        services.block_create(blocker=request.user, blocked=person)
        return Response(status=204)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: AuthedApiRequest, pk: int) -> Response:
        block = get_object_or_404(selectors.block_list(user=request.user), blocked_id=pk)
        services.block_delete(blocker=request.user, blocked=block.blocked)
        return Response(status=204)


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    text = serializers.CharField()


CHOICE_KINDS = ("time-zones", "countries", "regions")


class ChoicesView(APIView):
    """The long lists of the profile and company forms, loaded when a list is opened (so
    the pages do not carry hundreds of options): time zones, countries, and the regions the
    user may choose (every country and their own company's markets)."""

    request: AuthedApiRequest

    @extend_schema(responses=ChoiceSerializer(many=True))
    def get(self, request: AuthedApiRequest, kind: str) -> Response:
        if kind not in CHOICE_KINDS:
            raise Http404
        if kind == "time-zones":
            rows = [
                {"value": name, "text": name.replace("_", " ")}
                for name in sorted(time_zone_names())
            ]
        elif kind == "countries":
            rows = [{"value": code, "text": str(name)} for code, name in countries]
        else:
            rows = [
                {"value": publicid.encode("accounts.region", pk), "text": name}
                for pk, name in selectors.region_list(user=request.user).values_list("pk", "name")
            ]
        response = Response(ChoiceSerializer(rows, many=True).data)
        # Time zones and countries change only with a release; a company's markets any time.
        response["Cache-Control"] = "private, max-age=3600" if kind != "regions" else "no-cache"
        return response
