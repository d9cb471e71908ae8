"""The calls API: the call log, the live snapshot clients load on (re)connect, ICE servers."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors as account_selectors
from accounts.models import User
from calls import selectors, services, turn
from calls.models import Call
from uc_web.lib import publicid
from uc_web.lib.api import PublicIdField
from uc_web.lib.signed_in import AuthedApiRequest


class PeerSerializer(serializers.Serializer):
    id = PublicIdField(publicid.kind_of(User))
    name = serializers.CharField()
    email = serializers.EmailField()
    initials = serializers.CharField()
    photo = serializers.CharField(allow_blank=True, help_text="URL of the 64 px photo, or empty")


class CallSerializer(serializers.Serializer):
    """A call as the requesting user sees it (the same shape the `call.*` events carry)."""

    id = PublicIdField(publicid.kind_of(Call))
    direction = serializers.ChoiceField(choices=["incoming", "outgoing"])
    peer = PeerSerializer()
    media = serializers.ChoiceField(choices=Call.Media.choices)
    state = serializers.ChoiceField(choices=Call.State.choices)
    end_reason = serializers.ChoiceField(choices=[("", ""), *Call.EndReason.choices])
    end_reason_label = serializers.CharField(allow_blank=True)
    missed = serializers.BooleanField()
    caller_device = serializers.CharField(allow_blank=True, help_text="outgoing calls only")
    answered_device = serializers.CharField(allow_blank=True, help_text="incoming calls only")
    answered = serializers.BooleanField()
    relayed = serializers.BooleanField(help_text="media goes through the server's relay")
    created_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)
    connected_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    ring_expires_at = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.IntegerField(allow_null=True)
    voicemail = serializers.ChoiceField(
        choices=[("", ""), *Call.Voicemail.choices],
        help_text="offered: the caller may leave a message; recording, left, discarded",
    )
    voicemail_label = serializers.CharField(allow_blank=True)
    voicemail_note = serializers.CharField(
        allow_blank=True, help_text="to the caller: why the message was not delivered"
    )

    def to_representation(self, call: Call) -> dict[str, Any]:
        return selectors.call_data(call=call, user=self.context["request"].user)


class CallListView(generics.ListAPIView):
    """The requesting user's call log, newest first (`filter`: missed, incoming, outgoing)."""

    request: AuthedApiRequest

    serializer_class = CallSerializer

    def get_queryset(self) -> Any:
        chosen = self.request.query_params.get("filter")
        return selectors.call_list(
            user=self.request.user, filter=chosen if chosen in selectors.FILTERS else None
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("filter", OpenApiTypes.STR, enum=list(selectors.FILTERS)),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class CallDetailView(generics.RetrieveAPIView):
    """One of the requesting user's calls (404 for anyone else's)."""

    request: AuthedApiRequest

    serializer_class = CallSerializer

    def get_queryset(self) -> Any:
        return selectors.call_list(user=self.request.user)


class CallStateSerializer(serializers.Serializer):
    active = CallSerializer(many=True, help_text="ringing or answered calls")
    missed = serializers.IntegerField(help_text="missed calls not yet seen in the call log")


class CallStateView(APIView):
    """What a tab loads on every (re)connect, then keeps current with `call.*` events."""

    request: AuthedApiRequest

    @extend_schema(responses=CallStateSerializer)
    def get(self, request: AuthedApiRequest) -> Response:
        active = selectors.call_active_list(user=request.user)
        return Response(
            {
                "active": CallSerializer(active, many=True, context={"request": request}).data,
                "missed": selectors.call_missed_unseen_count(user=request.user),
            }
        )


class MissedSeenView(APIView):
    """Mark the requesting user's missed calls as seen (clears the badge on every tab)."""

    request: AuthedApiRequest

    @extend_schema(request=None, responses=CallStateSerializer)
    def post(self, request: AuthedApiRequest) -> Response:
        services.call_missed_mark_seen(user=request.user)
        return CallStateView().get(request)


class IceServerSerializer(serializers.Serializer):
    urls = serializers.ListField(child=serializers.CharField())
    username = serializers.CharField(required=False)
    credential = serializers.CharField(required=False)


class IceConfigurationSerializer(serializers.Serializer):
    iceServers = IceServerSerializer(many=True)  # noqa: N815 (RTCConfiguration's name)
    iceTransportPolicy = serializers.ChoiceField(choices=["all", "relay"])  # noqa: N815
    expires = serializers.IntegerField(
        allow_null=True, help_text="Unix time the TURN credentials stop working"
    )


class IceServersView(APIView):
    """STUN/TURN servers for RTCPeerConnection, with short-lived TURN credentials."""

    request: AuthedApiRequest

    @extend_schema(responses=IceConfigurationSerializer)
    def get(self, request: AuthedApiRequest) -> Response:
        response = Response(turn.ice_configuration(user_id=request.user.pk))
        response["Cache-Control"] = "no-store"
        return response


class CallablePersonSerializer(PeerSerializer):
    pass


class CallablePeopleView(APIView):
    """People the requesting user may call, matching `q` (name or email): the dial box."""

    request: AuthedApiRequest

    def throttle_kind(self, request: AuthedApiRequest) -> str:
        return "search"  # limits of settings.RATE_LIMITS "api.search.*"

    @extend_schema(
        parameters=[OpenApiParameter("q", OpenApiTypes.STR)],
        responses=CallablePersonSerializer(many=True),
    )
    def get(self, request: AuthedApiRequest) -> Response:
        query = request.query_params.get("q", "")[:100]
        people = selectors.callable_people(user=request.user, query=query)
        return Response([account_selectors.person_data(p) for p in people])
