"""The messages API: folders and unread counts (the live snapshot), lists, send, marks,
Trash. Same services as the pages; every lookup goes through the user's own deliveries."""

from typing import Any

from django.conf import settings
from django.http import Http404
from django.template.defaultfilters import linebreaksbr, urlize
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors as account_selectors
from accounts.models import Region, User
from messaging import media, selectors, services
from messaging.models import BODY_MAX_LENGTH, Announcement, Delivery, Message
from uc_web.lib import media as images
from uc_web.lib import publicid
from uc_web.lib.api import PublicIdField, PublicIdRelatedField
from uc_web.lib.exceptions import PermissionDenied
from uc_web.lib.media import UploadSizeLimitHandler
from uc_web.lib.signed_in import AuthedApiRequest

DELIVERY = publicid.kind_of(Delivery)
REFUSAL = _("You cannot send a message to one of the people you chose.")


class PersonSerializer(serializers.Serializer):
    id = PublicIdField(publicid.kind_of(User))
    name = serializers.CharField()
    email = serializers.EmailField()
    initials = serializers.CharField()
    photo = serializers.CharField(allow_blank=True)


class FolderSerializer(serializers.Serializer):
    slug = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label
    unread = serializers.IntegerField()


class FoldersSerializer(serializers.Serializer):
    folders = FolderSerializer(many=True)
    unread = serializers.IntegerField(help_text="unread messages in all folders (the nav badge)")


class DeliverySerializer(serializers.Serializer):
    """A message as its holder sees it; `id` is their copy's id (inbox, sent or trash)."""

    id = PublicIdField(DELIVERY, source="pk")
    box = serializers.ChoiceField(choices=Delivery.Box.choices)
    kind = serializers.ChoiceField(choices=Message.Kind.choices)
    sender = serializers.SerializerMethodField()
    recipients = serializers.SerializerMethodField()
    subject = serializers.CharField(source="message.subject")
    body = serializers.CharField(source="message.body", help_text="plain text")
    body_html = serializers.SerializerMethodField(
        help_text="the text escaped, links made clickable, line breaks as <br>"
    )
    link = serializers.CharField(source="message.link")
    created_at = serializers.DateTimeField()
    read = serializers.SerializerMethodField()
    in_trash = serializers.BooleanField()
    duration_ms = serializers.IntegerField(source="message.duration_ms")
    media_url = serializers.SerializerMethodField(help_text="the recording, or empty")
    poster_url = serializers.SerializerMethodField(help_text="a video's first frame, or empty")

    def get_media_url(self, d: Delivery) -> str:
        if not d.message.media:
            return ""
        return reverse("messaging:media", kwargs={"pk": d.pk, "part": "recording"})

    def get_poster_url(self, d: Delivery) -> str:
        if not d.message.poster:
            return ""
        return reverse("messaging:media", kwargs={"pk": d.pk, "part": "poster"})

    def get_sender(self, d: Delivery) -> dict[str, str] | None:
        sender = d.message.sender
        return account_selectors.person_data(sender) if sender else None

    def get_recipients(self, d: Delivery) -> list[dict[str, str]]:
        if d.box != Delivery.Box.SENT:
            return []
        return [
            account_selectors.person_data(o.owner)
            for o in d.message.deliveries.all()
            if o.box == Delivery.Box.INBOX
        ]

    def get_body_html(self, d: Delivery) -> str:
        return linebreaksbr(urlize(escape(d.message.body), autoescape=True), autoescape=False)

    def get_read(self, d: Delivery) -> bool:
        return d.read_at is not None


class SendSerializer(serializers.Serializer):
    to = PublicIdRelatedField(
        many=True,
        queryset=User.objects.none(),
        kind=publicid.kind_of(User),
        error_messages={"does_not_exist": REFUSAL},
    )
    subject = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    body = serializers.CharField(max_length=BODY_MAX_LENGTH)
    reply_to = PublicIdField(DELIVERY, required=False, help_text="the id of the message answered")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")  # none when the schema is generated
        if request is not None:
            self.fields["to"].child_relation.queryset = selectors.recipient_list(user=request.user)


def _delivery(request: AuthedApiRequest, pk: int) -> Delivery:
    delivery = selectors.delivery_get(user=request.user, pk=pk)
    if delivery is None:
        raise Http404
    return delivery


class FoldersView(APIView):
    """Every folder with its unread count: the snapshot a tab loads on each (re)connect."""

    request: AuthedApiRequest

    @extend_schema(responses=FoldersSerializer)
    def get(self, request: AuthedApiRequest) -> Response:
        folders = selectors.folder_list(user=request.user)
        unread = next(f.unread for f in folders if f.slug == "inbox")
        return Response(
            FoldersSerializer({"folders": [f.__dict__ for f in folders], "unread": unread}).data
        )


class FolderCursorPagination(CursorPagination):
    """Pages found by a cursor, not counted: `next`/`previous` links, no `count` (counting
    a folder of 50,000 copies costs more than the page)."""

    page_size = 50
    ordering = ("-created_at", "-pk")

    def get_ordering(self, request: Request, queryset: Any, view: Any) -> tuple[str, ...]:
        if request.query_params.get("folder") == "trash":
            return ("-deleted_at", "-pk")
        return self.ordering


class MessageListView(generics.ListAPIView):
    """The messages of one folder (`folder`: inbox, voice, video, text, reminders, sent,
    trash), newest first (Trash: most recently deleted), 50 a page through the `next` and
    `previous` cursor links; or, POST, send a text message."""

    request: AuthedApiRequest

    serializer_class = DeliverySerializer
    pagination_class = FolderCursorPagination

    def get_queryset(self) -> Any:
        folder = self.request.query_params.get("folder", "inbox")
        if folder not in selectors.FOLDERS:
            raise Http404
        return selectors.delivery_list(user=self.request.user, folder=folder)

    @extend_schema(
        parameters=[
            OpenApiParameter("folder", OpenApiTypes.STR, enum=list(selectors.FOLDERS)),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=SendSerializer, responses={201: DeliverySerializer})
    def post(self, request: AuthedApiRequest) -> Response:
        serializer = SendSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        reply_to = _replied_message(request, data)
        message = services.message_send(
            sender=request.user,
            recipients=list(data["to"]),
            subject=data["subject"],
            body=data["body"],
            reply_to=reply_to,
        )
        return _sent_copy_response(request, message)


def _replied_message(request: AuthedApiRequest, data: dict[str, Any]) -> Any:
    """The message a new one answers (one of the sender's own copies), or None."""
    if data.get("reply_to") is None:
        return None
    return _delivery(request, data["reply_to"]).message


def _sent_copy_response(request: AuthedApiRequest, message: Any) -> Response:
    """201 with the sender's copy of what they just sent."""
    sent = selectors.delivery_list(user=request.user, folder="sent").get(message=message)
    return Response(DeliverySerializer(sent).data, status=status.HTTP_201_CREATED)


class MessageDetailView(APIView):
    """One of my messages; DELETE deletes it for good (only from Trash)."""

    request: AuthedApiRequest

    @extend_schema(responses=DeliverySerializer)
    def get(self, request: AuthedApiRequest, pk: int) -> Response:
        return Response(DeliverySerializer(_delivery(request, pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: AuthedApiRequest, pk: int) -> Response:
        delivery = _delivery(request, pk)
        if not delivery.in_trash:
            return Response(
                {"detail": "Move the message to Trash first.", "code": "not_in_trash"},
                status=status.HTTP_400_BAD_REQUEST,
            )
        services.deliveries_purge(user=request.user, deliveries=[delivery])
        return Response(status=status.HTTP_204_NO_CONTENT)


MARKS = ("read", "unread", "trash", "restore")


class MessageMarkView(APIView):
    """POST read, unread, trash (move to Trash) or restore (back from Trash)."""

    request: AuthedApiRequest

    @extend_schema(
        operation_id="v1_messages_mark",
        request=None,
        responses=DeliverySerializer,
        parameters=[OpenApiParameter("mark", OpenApiTypes.STR, OpenApiParameter.PATH, enum=MARKS)],
    )
    def post(self, request: AuthedApiRequest, pk: int, mark: str) -> Response:
        if mark not in MARKS:
            raise Http404
        delivery = _delivery(request, pk)
        user = request.user
        if mark == "read":
            services.delivery_mark_read(delivery=delivery, by=user)
        elif mark == "unread":
            services.delivery_mark_unread(delivery=delivery, by=user)
        elif mark == "trash":
            services.deliveries_trash(user=user, deliveries=[delivery])
        else:
            services.deliveries_restore(user=user, deliveries=[delivery])
        return Response(DeliverySerializer(_delivery(request, pk)).data)


class TrashEmptyView(APIView):
    """Delete everything in my Trash for good."""

    request: AuthedApiRequest

    @extend_schema(
        request=None,
        responses=inline_serializer("TrashEmptied", {"deleted": serializers.IntegerField()}),
    )
    def post(self, request: AuthedApiRequest) -> Response:
        return Response({"deleted": services.trash_empty(user=request.user)})


class RecordingSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[Message.Kind.VOICE, Message.Kind.VIDEO])
    to = PublicIdRelatedField(
        many=True,
        queryset=User.objects.none(),
        kind=publicid.kind_of(User),
        error_messages={"does_not_exist": REFUSAL},
    )
    subject = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    body = serializers.CharField(
        max_length=BODY_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    reply_to = PublicIdField(DELIVERY, required=False)
    recording = serializers.FileField(
        help_text="WebM/Ogg (Opus, VP8/VP9) or MP4 (AAC/Opus, H.264); checked, not trusted"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["to"].child_relation.queryset = selectors.recipient_list(user=request.user)


class RecordingUploadView(APIView):
    """Send a voice or video mail (multipart). The upload is cut off while it streams in
    once it passes MESSAGE_UPLOAD_MAX_BYTES; the server opens it with PyAV and measures it."""

    request: AuthedApiRequest

    parser_classes = [MultiPartParser]

    def initialize_request(self, request: Any, *args: Any, **kwargs: Any) -> Request:
        # Before anything reads the body (the session authentication's CSRF check does).
        request.upload_handlers.insert(
            0, UploadSizeLimitHandler(request, max_bytes=settings.MESSAGE_UPLOAD_MAX_BYTES)
        )
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": RecordingSerializer},
        responses={201: DeliverySerializer},
    )
    def post(self, request: AuthedApiRequest) -> Response:
        request.data  # noqa: B018 - read the body through the size-limiting handler
        if images.too_large(request._request, "recording"):
            return Response(
                {"detail": media.too_large_message(), "code": "too_large"},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        serializer = RecordingSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        reply_to = _replied_message(request, data)
        message = services.recording_send(
            sender=request.user,
            recipients=list(data["to"]),
            kind=data["kind"],
            upload=data["recording"],
            subject=data["subject"],
            body=data["body"],
            reply_to=reply_to,
        )
        return _sent_copy_response(request, message)


class RecipientsView(APIView):
    """The people I may message, as choices for the To field ({value, text})."""

    request: AuthedApiRequest

    @extend_schema(
        responses=inline_serializer(
            "RecipientChoice",
            {"value": serializers.CharField(), "text": serializers.CharField()},
            many=True,
        )
    )
    def get(self, request: AuthedApiRequest) -> Response:
        rows = [
            {
                "value": publicid.of(u),
                "text": f"{u.get_full_name()} <{u.email}>" if u.get_full_name() else u.email,
            }
            for u in selectors.recipient_list(user=request.user).only(
                "pk", "first_name", "last_name", "email"
            )
        ]
        response = Response(rows)
        response["Cache-Control"] = "no-cache"
        return response


class AnnouncementSerializer(serializers.Serializer):
    id = PublicIdField(publicid.kind_of(Announcement), source="pk")
    sender = serializers.SerializerMethodField()
    company = serializers.CharField(source="company.name")
    subject = serializers.CharField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    read = serializers.BooleanField(source="is_read")

    def get_sender(self, a: Announcement) -> dict[str, str]:
        return account_selectors.person_data(a.sender)


class AnnounceSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=BODY_MAX_LENGTH)
    regions = PublicIdRelatedField(
        many=True, queryset=Region.objects.none(), kind=publicid.kind_of(Region)
    )
    expires_at = serializers.DateTimeField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["regions"].child_relation.queryset = account_selectors.region_list(
                user=request.user
            )


class AnnouncementListView(generics.ListAPIView):
    """Announcements to my regions and markets (not expired, not deleted), newest first;
    POST makes one (the Announcer role only)."""

    request: AuthedApiRequest

    serializer_class = AnnouncementSerializer

    def get_queryset(self) -> Any:
        return selectors.announcement_list(user=self.request.user)

    @extend_schema(request=AnnounceSerializer, responses={201: AnnouncementSerializer})
    def post(self, request: AuthedApiRequest) -> Response:
        if not request.user.has_perm("accounts.send_announcements"):
            raise PermissionDenied(_("Only people with the Announcer role can send announcements."))
        serializer = AnnounceSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        announcement = services.announcement_send(sender=request.user, **serializer.validated_data)
        announcement.is_read = False
        return Response(AnnouncementSerializer(announcement).data, status=status.HTTP_201_CREATED)


def _announcement(request: AuthedApiRequest, pk: int) -> Announcement:
    announcement = selectors.announcement_get(user=request.user, pk=pk)
    if announcement is None:
        raise Http404
    return announcement


class AnnouncementReadView(APIView):
    """Mark an announcement read."""

    request: AuthedApiRequest

    @extend_schema(request=None, responses={204: None})
    def post(self, request: AuthedApiRequest, pk: int) -> Response:
        services.announcement_mark_read(announcement=_announcement(request, pk), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AnnouncementDetailView(APIView):
    """One announcement; DELETE hides it from me for good."""

    request: AuthedApiRequest

    @extend_schema(responses=AnnouncementSerializer)
    def get(self, request: AuthedApiRequest, pk: int) -> Response:
        return Response(AnnouncementSerializer(_announcement(request, pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: AuthedApiRequest, pk: int) -> Response:
        services.announcement_delete(announcement=_announcement(request, pk), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
