from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django_countries import countries
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import phones, presence, selectors, services
from accounts.models import Profile, Region, User, time_zone_names

PROFILE_API_FIELDS = list(Profile.EDITABLE_FIELDS)


class MeSerializer(serializers.ModelSerializer):
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
    regions = serializers.PrimaryKeyRelatedField(
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
        country = profile.get("dialling_country", self.instance.default_dialling_country)
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

    def _serializer(self, request: Request, **kwargs: Any) -> MeSerializer:
        services.profile_ensure(user=request.user)
        return MeSerializer(request.user, context={"user": request.user}, **kwargs)

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(self._serializer(request).data)

    @extend_schema(request=MeSerializer, responses=MeSerializer)
    def patch(self, request: Request) -> Response:
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
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()
    initials = serializers.CharField()
    photo = serializers.CharField(allow_blank=True, help_text="URL of the 64 px photo, or empty")
    group = serializers.ChoiceField(choices=["favourites", "company", "contacts"])
    state = serializers.ChoiceField(choices=presence.State.choices)
    text = serializers.CharField(allow_blank=True)


class MyPresenceSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=presence.State.choices)
    manual = serializers.CharField(allow_null=True)
    text = serializers.CharField(allow_blank=True)


class PresenceSnapshotSerializer(serializers.Serializer):
    me = MyPresenceSerializer()
    people = PresencePersonSerializer(many=True)


class PresenceView(APIView):
    """The Online Monitor's snapshot: everyone I may watch, and my own presence.

    Clients load it on every (re)connect, then apply `presence.changed` events.
    """

    @extend_schema(responses=PresenceSnapshotSerializer)
    def get(self, request: Request) -> Response:
        people = list(selectors.presence_watchable_users(user=request.user))
        snaps = async_to_sync(presence.get_store().snapshot)(
            [request.user.pk, *(p.pk for p in people)], now=presence.clock()
        )
        mine = snaps[request.user.pk]
        hidden = selectors.presence_hidden_ids(user_ids=[p.pk for p in people])
        offline = presence.Snapshot()
        data = {
            "me": {"state": mine.state.value, "manual": mine.manual, "text": mine.text},
            "people": [
                {
                    "id": person.pk,
                    "name": person.get_full_name() or person.email,
                    "email": person.email,
                    "initials": person.initials,
                    "photo": person.photo_url_small,
                    "group": "company",
                    **(offline if person.pk in hidden else snaps[person.pk]).public(),
                }
                for person in people
            ],
        }
        return Response(PresenceSnapshotSerializer(data).data)
