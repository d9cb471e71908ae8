from asgiref.sync import async_to_sync
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import presence, selectors
from accounts.models import User


class MeSerializer(serializers.ModelSerializer):
    company = serializers.CharField(source="company.name", default=None, read_only=True)
    name = serializers.CharField(source="get_full_name", read_only=True)
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "name", "company", "roles"]
        read_only_fields = fields

    def get_roles(self, user: User) -> list[str]:
        return sorted(g.name for g in user.groups.all())


class MeView(APIView):
    """The signed-in user. Clients call it on (re)connect to learn they are still signed in."""

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)


class PresencePersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()
    initials = serializers.CharField()
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
        data = {
            "me": {"state": mine.state.value, "manual": mine.manual, "text": mine.text},
            "people": [
                {
                    "id": person.pk,
                    "name": person.get_full_name() or person.email,
                    "email": person.email,
                    "initials": person.initials,
                    "group": "company",
                    **snaps[person.pk].public(),
                }
                for person in people
            ],
        }
        return Response(PresenceSnapshotSerializer(data).data)
