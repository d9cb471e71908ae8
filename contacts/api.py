"""The contacts API (/api/v1/): books, contacts, search, directory, imports, export.

Every queryset comes from a selector scoped to the signed-in user, so other people's
books, contacts and imports answer 404; writes go through the same services as the pages.
"""

from dataclasses import fields
from typing import Any

from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from contacts import importing, selectors, services
from contacts.formats import csvfile, records
from contacts.models import (
    Address,
    AddressBook,
    Contact,
    ContactGroup,
    ContactImport,
    Email,
    Phone,
)
from uc_web.lib import phones, publicid
from uc_web.lib.api import PublicIdField, PublicIdRelatedField, PublicModelSerializer
from uc_web.lib.signed_in import AuthedApiRequest

BOOK = publicid.kind_of(AddressBook)
USER = publicid.kind_of(User)
CONTACT = publicid.kind_of(Contact)
GROUP = publicid.kind_of(ContactGroup)


def own_book(request: AuthedApiRequest, pk: int | None) -> Any:
    """One of the user's books by id; another user's book answers 404 like any other."""
    if pk is None:
        return None
    return get_object_or_404(selectors.book_list(user=request.user), pk=pk)


# --- Books -------------------------------------------------------------------------------
class AddressBookSerializer(PublicModelSerializer):
    contact_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = AddressBook
        fields = ["id", "name", "is_default", "contact_count"]
        read_only_fields = ["id", "is_default", "contact_count"]


class AddressBookViewSet(viewsets.ModelViewSet):
    """The signed-in user's address books."""

    request: AuthedApiRequest

    serializer_class = AddressBookSerializer
    lookup_value_converter = "book"
    pagination_class = None
    http_method_names = ["get", "post", "put", "patch", "delete"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return AddressBook.objects.none()
        services.book_ensure_default(user=self.request.user)
        return selectors.book_list(user=self.request.user)

    def perform_create(self, serializer: Any) -> None:
        book = services.book_create(owner=self.request.user, name=serializer.validated_data["name"])
        serializer.instance = book

    def perform_update(self, serializer: Any) -> None:
        name = serializer.validated_data.get("name")
        if name is not None:  # PATCH without a name changes nothing
            services.book_rename(book=serializer.instance, name=name, by=self.request.user)

    def perform_destroy(self, instance: AddressBook) -> None:
        services.book_delete(book=instance, by=self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("fmt", str, enum=list(importing.EXPORT_FORMATS), default="vcard3")
        ],
        responses={
            (200, "text/vcard"): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
        },
    )
    @action(detail=True, methods=["get"])
    def export(self, request: AuthedApiRequest, pk: str | None = None) -> HttpResponse:
        """The book's contacts as one vCard 3.0, vCard 4.0 or CSV file."""
        book = self.get_object()
        content, content_type, filename = importing.book_export(
            user=request.user, book=book, fmt=request.query_params.get("fmt", "vcard3")
        )
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


# --- Contacts ----------------------------------------------------------------------------
class PhoneSerializer(serializers.ModelSerializer):
    number = serializers.CharField(
        max_length=64,
        help_text=(
            "As typed, read with the user's dialling country (else the company's); returned "
            "in E.164 form, or as typed when `verified` is false (an imported number that is "
            "not valid for its country). Pauses and keys after the number (`,,1234#`) or an "
            "extension (`ext. 12`) go to `extension`."
        ),
    )
    display = serializers.SerializerMethodField()

    class Meta:
        model = Phone
        fields = ["kind", "label", "number", "extension", "verified", "display"]
        read_only_fields = ["extension", "verified", "display"]

    def get_display(self, phone: Phone) -> str:
        return phones.display(
            phone.number, selectors.dialling_country_for(self.context["request"].user)
        )


class EmailSerializer(serializers.ModelSerializer):
    address = serializers.CharField(max_length=254)

    class Meta:
        model = Email
        fields = ["kind", "label", "address"]


class AddressSerializer(serializers.ModelSerializer):
    class Meta:
        model = Address
        fields = ["kind", "label", "street", "city", "region", "postal_code", "country"]


class GroupNamesField(serializers.ListField):
    """A contact's groups by name (read from the prefetched relation)."""

    def to_representation(self, data: Any) -> list[str]:
        if hasattr(data, "all"):
            return [group.name for group in data.all()]
        return super().to_representation(data)


class LabelledSerializer(serializers.Serializer):
    label = serializers.CharField(  # type: ignore[assignment]  # a field named like Field.label
        max_length=100, allow_blank=True, required=False, default=""
    )
    value = serializers.CharField(max_length=500)


REQUIRED = serializers.Field.default_error_messages["required"]


class ContactSerializer(PublicModelSerializer):
    book = PublicIdField(BOOK, source="book_id", required=False)
    phones = PhoneSerializer(many=True, required=False)
    emails = EmailSerializer(many=True, required=False)
    addresses = AddressSerializer(many=True, required=False)
    birthday = serializers.CharField(
        source="birthday_iso",
        required=False,
        allow_blank=True,
        help_text="YYYY-MM-DD, or --MM-DD without a year.",
    )
    urls = LabelledSerializer(many=True, required=False, help_text="Web pages: label, URL.")
    dates = LabelledSerializer(
        many=True, required=False, help_text="Anniversaries and other dates: label, YYYY-MM-DD."
    )
    related = LabelledSerializer(
        many=True, required=False, help_text="Related people: relation (spouse, child…), name."
    )
    ims = LabelledSerializer(
        many=True, required=False, help_text="Instant messaging: service (skype…), handle."
    )
    groups = GroupNamesField(
        child=serializers.CharField(max_length=100),
        required=False,
        help_text="Names of groups of the contact's book; missing groups are created.",
    )
    linked_user = PublicIdRelatedField(
        queryset=User.objects.none(), required=False, allow_null=True
    )
    is_on_net = serializers.BooleanField(read_only=True)
    photo_url = serializers.SerializerMethodField()

    class Meta:
        model = Contact
        fields = [
            "id",
            "book",
            "display_name",
            "name_prefix",
            "given_name",
            "middle_name",
            "family_name",
            "name_suffix",
            "nickname",
            "phonetic_given_name",
            "phonetic_middle_name",
            "phonetic_family_name",
            "company",
            "department",
            "job_title",
            "role",
            "phones",
            "emails",
            "addresses",
            "birthday",
            "dates",
            "urls",
            "related",
            "ims",
            "notes",
            "groups",
            "linked_user",
            "is_on_net",
            "photo_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "display_name", "created_at", "updated_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["linked_user"].queryset = selectors.linkable_users(user=request.user)

    def get_photo_url(self, contact: Contact) -> str | None:
        return reverse("contacts:photo", args=[contact.pk]) if contact.photo else None

    # A list sent in a PATCH replaces the whole list, so each of its items needs what a new
    # item needs, although DRF's partial validation lets nested required fields go missing.
    ITEM_REQUIRED = {
        "phones": "number",
        "emails": "address",
        "urls": "value",
        "dates": "value",
        "related": "value",
        "ims": "value",
    }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors = {}
        for name, required in self.ITEM_REQUIRED.items():
            items = attrs.get(name) or []
            missing = [{} if required in item else {required: [REQUIRED]} for item in items]
            if any(missing):
                errors[name] = missing
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def to_input(self, instance: Contact | None = None) -> services.ContactInput:
        data = self.validated_data
        if instance is not None:  # PATCH: what is not sent stays as it is
            current = ContactSerializer(instance, context=self.context).data
            current["birthday_iso"] = current.pop("birthday")
            data = {**current, **data}
        linked = data.get("linked_user")

        def pairs(name: str) -> list[tuple[str, str]]:
            return [(i.get("label", ""), i["value"]) for i in data.get(name, [])]

        return services.ContactInput(
            **{name: data.get(name, "") for name in records.TEXT_FIELDS},
            notes=data.get("notes", ""),
            birthday=data.get("birthday_iso", ""),
            phones=[
                (
                    p.get("kind", "mobile"),
                    p["number"] + _post_dial_suffix(p.get("extension", "")),
                    p.get("label", ""),
                )
                for p in data.get("phones", [])
            ],
            emails=[
                (e.get("kind", "other"), e["address"], e.get("label", ""))
                for e in data.get("emails", [])
            ],
            addresses=[{"kind": "home", **a} for a in data.get("addresses", [])],
            urls=pairs("urls"),
            dates=pairs("dates"),
            related=pairs("related"),
            ims=pairs("ims"),
            groups=list(data["groups"]) if "groups" in data else None,
            linked_user_id=(linked if isinstance(linked, int) else getattr(linked, "pk", 0)) or 0,
        )


def _post_dial_suffix(extension: str) -> str:
    if not extension:
        return ""
    return f" ext. {extension}" if extension.isdigit() else extension


class ContactViewSet(viewsets.ModelViewSet):
    """The signed-in user's contacts; `?q=` searches, `?book=` narrows to one book,
    `?trash=1` lists deleted ones. DELETE moves a contact to the trash."""

    request: AuthedApiRequest

    serializer_class = ContactSerializer
    lookup_value_converter = "contact"
    http_method_names = ["get", "post", "put", "patch", "delete"]

    def throttle_kind(self, request: AuthedApiRequest) -> str | None:
        searching = self.action == "list" and request.query_params.get("q", "").strip()
        return "search" if searching else None  # else a read or a write

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Contact.objects.none()
        trash = self.request.query_params.get("trash") == "1" or self.action == "restore"
        queryset = selectors.contact_list(user=self.request.user, deleted=trash).prefetch_related(
            "addresses", "groups"
        )
        if self.action != "list":
            return queryset
        book = self.request.query_params.get("book")
        if book:
            queryset = queryset.filter(book_id=publicid.decode_or_none(BOOK, book) or 0)
        group = self.request.query_params.get("group")
        if group:
            queryset = queryset.filter(groups__id=publicid.decode_or_none(GROUP, group) or 0)
        query = self.request.query_params.get("q", "").strip()
        if query:
            ids = [
                c.pk
                for c in selectors.contact_search(user=self.request.user, query=query, limit=200)
            ]
            queryset = queryset.filter(pk__in=ids)
        return queryset.order_by("display_name", "pk")

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Search names, company, email, phone"),
            OpenApiParameter("book", str, description="An address book's id"),
            OpenApiParameter("group", str, description="A group's id: its members"),
            OpenApiParameter("trash", bool),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def perform_create(self, serializer: Any) -> None:
        book_id = serializer.validated_data.get("book_id")
        book = (
            own_book(self.request, book_id)
            if book_id
            else services.book_ensure_default(user=self.request.user)
        )
        serializer.instance = services.contact_create(
            by=self.request.user, book=book, data=serializer.to_input()
        )

    def perform_update(self, serializer: Any) -> None:
        partial = bool(serializer.partial)
        services.contact_update(
            contact=serializer.instance,
            by=self.request.user,
            data=serializer.to_input(serializer.instance if partial else None),
            book=own_book(self.request, serializer.validated_data.get("book_id")),
        )

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        super().update(request, *args, **kwargs)
        contact = selectors.contact_get(user=self.request.user, pk=kwargs["pk"])
        return Response(self.get_serializer(contact).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        contact = selectors.contact_get(user=self.request.user, pk=serializer.instance.pk)  # type: ignore[union-attr]  # set by perform_create
        return Response(self.get_serializer(contact).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Contact) -> None:
        services.contact_delete(contact=instance, by=self.request.user)

    @extend_schema(request=None, responses=ContactSerializer)
    @action(detail=True, methods=["post"])
    def restore(self, request: AuthedApiRequest, pk: str | None = None) -> Response:
        """Bring a contact back from the trash."""
        contact = services.contact_restore(contact=self.get_object(), by=request.user)
        return Response(self.get_serializer(contact).data)


class ContactSummarySerializer(PublicModelSerializer):
    """A search result: what a row in the list shows."""

    phones = PhoneSerializer(many=True, read_only=True)
    emails = EmailSerializer(many=True, read_only=True)
    is_on_net = serializers.BooleanField(read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "book",
            "display_name",
            "company",
            "is_on_net",
            "linked_user",
            "phones",
            "emails",
        ]
        read_only_fields = fields


class DirectoryUserSerializer(PublicModelSerializer):
    name = serializers.CharField(source="get_full_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "name", "email"]
        read_only_fields = fields


class SearchView(APIView):
    """Search as you type: the first matches among the user's contacts and the directory."""

    request: AuthedApiRequest

    def throttle_kind(self, request: AuthedApiRequest) -> str:
        return "search"  # limits of settings.RATE_LIMITS "api.search.*"

    @extend_schema(
        parameters=[OpenApiParameter("q", str, required=True)],
        responses=inline_serializer(
            "ContactSearchResult",
            {
                "contacts": ContactSummarySerializer(many=True),
                "colleagues": inline_serializer(
                    "SearchPerson",
                    {
                        "id": PublicIdField(USER),
                        "name": serializers.CharField(),
                        "email": serializers.EmailField(),
                        "outside": serializers.BooleanField(
                            help_text="In another company: can be added by a contact request"
                        ),
                    },
                    many=True,
                ),
            },
        ),
    )
    def get(self, request: AuthedApiRequest) -> Response:
        query = request.query_params.get("q", "")[:100]
        found = selectors.contact_search_summaries(user=request.user, query=query)
        for row in found:
            row["id"] = publicid.encode(CONTACT, row["id"])
            row["book"] = publicid.encode(BOOK, row["book"])
            if row["linked_user"] is not None:
                row["linked_user"] = publicid.encode(USER, row["linked_user"])
        colleagues = selectors.directory_search(user=request.user, query=query)
        people = [
            {
                "id": publicid.encode(USER, u.pk),
                "name": u.get_full_name(),
                "email": u.email,
                "outside": u.company_id != request.user.company_id,
            }
            for u in colleagues
        ]
        return Response({"contacts": found, "colleagues": people})


class DirectoryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The company directory: active colleagues (read-only)."""

    request: AuthedApiRequest

    serializer_class = DirectoryUserSerializer

    def get_queryset(self) -> Any:
        return selectors.directory_list(user=self.request.user)


# --- Groups ------------------------------------------------------------------------------
class ContactGroupSerializer(PublicModelSerializer):
    book = PublicIdField(BOOK, source="book_id")
    member_count = serializers.IntegerField(read_only=True, default=0)
    members = serializers.ListField(
        child=PublicIdField(CONTACT),
        required=False,
        write_only=True,
        help_text="Ids of contacts of the group's book: the group's members (replaces them).",
    )

    class Meta:
        model = ContactGroup
        fields = ["id", "book", "name", "member_count", "members"]
        read_only_fields = ["id", "member_count"]


class ContactGroupViewSet(viewsets.ModelViewSet):
    """Groups of the signed-in user's books (`?book=` for one book). A group's members are
    listed by `GET /contacts/?group=<id>`; `members` on a write replaces them."""

    request: AuthedApiRequest

    serializer_class = ContactGroupSerializer
    lookup_value_converter = "contact_group"
    pagination_class = None
    http_method_names = ["get", "post", "put", "patch", "delete"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return ContactGroup.objects.none()
        queryset = ContactGroup.objects.filter(book__owner=self.request.user).annotate(
            member_count=Count("members", filter=Q(members__deleted_at__isnull=True))
        )
        book = self.request.query_params.get("book")
        if book:
            queryset = queryset.filter(book_id=publicid.decode_or_none(BOOK, book) or 0)
        return queryset.order_by("name", "pk")

    def _members(self, group: ContactGroup, ids: list[int] | None) -> None:
        if ids is None:
            return
        contacts = list(selectors.contact_list(user=self.request.user).filter(pk__in=ids))
        if len(contacts) != len(set(ids)):
            raise NotFound()
        services.group_members_set(group=group, by=self.request.user, contacts=contacts)

    def perform_create(self, serializer: Any) -> None:
        book = own_book(self.request, serializer.validated_data["book_id"])
        group = services.group_create(
            by=self.request.user, book=book, name=serializer.validated_data["name"]
        )
        self._members(group, serializer.validated_data.get("members"))
        serializer.instance = group

    def perform_update(self, serializer: Any) -> None:
        group = serializer.instance
        if "name" in serializer.validated_data:
            services.group_rename(
                group=group, by=self.request.user, name=serializer.validated_data["name"]
            )
        self._members(group, serializer.validated_data.get("members"))

    def perform_destroy(self, instance: ContactGroup) -> None:
        services.group_delete(group=instance, by=self.request.user)


# --- Imports -----------------------------------------------------------------------------
class ContactImportSerializer(PublicModelSerializer):
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = ContactImport
        fields = [
            "id",
            "file_name",
            "size",
            "format",
            "language",
            "encoding",
            "mapping",
            "mapping_remembered",
            "country",
            "country_source",
            "date_order",
            "book",
            "duplicates",
            "status",
            "total",
            "processed",
            "percent",
            "imported",
            "merged",
            "skipped",
            "rejected",
            "ignored_columns",
            "groups_created",
            "error",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class ImportStartSerializer(serializers.Serializer):
    book = PublicIdField(BOOK)
    duplicates = serializers.ChoiceField(choices=ContactImport.Duplicates.choices, default="skip")
    mapping = serializers.ListField(
        child=serializers.CharField(allow_blank=True), required=False, allow_null=True
    )
    country = serializers.CharField(
        max_length=2,
        required=False,
        allow_blank=True,
        help_text=(
            "ISO 3166 code of the country of numbers written without a country code. Required "
            "when the import's `country` is empty: neither the user nor the company sets a "
            "dialling country and the file shows none."
        ),
    )


class ContactImportViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Upload an address-book file, start its import, and follow it (the row is the truth:
    clients re-fetch it after reconnecting instead of trusting the progress events)."""

    request: AuthedApiRequest

    serializer_class = ContactImportSerializer
    lookup_value_converter = "contact_import"

    def throttle_kind(self, request: AuthedApiRequest) -> str | None:
        # Reading files is the work: uploads, starts and previews (following one is a read).
        return "import" if request.method == "POST" or self.action == "preview" else None

    parser_classes = [MultiPartParser, FormParser, *viewsets.GenericViewSet.parser_classes]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return ContactImport.objects.none()
        return selectors.import_list(user=self.request.user)

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer},
        responses={201: ContactImportSerializer},
    )
    def create(self, request: AuthedApiRequest) -> Response:
        """Upload a vCard or CSV file; it is checked and stored, not yet imported."""
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > importing.max_upload_bytes() + 64 * 1024:
            error = importing.too_large_error()
            return Response(
                {"detail": error.message, "code": error.code},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        contact_import = importing.import_upload(
            owner=request.user, file=upload.validated_data["file"]
        )
        return Response(self.get_serializer(contact_import).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses=inline_serializer(
            "ContactImportPreview",
            {
                "columns": serializers.ListField(child=serializers.DictField()),
                "contacts": serializers.ListField(child=serializers.DictField()),
                "targets": serializers.ListField(child=serializers.CharField()),
            },
        )
    )
    @action(detail=True, methods=["get"])
    def preview(self, request: AuthedApiRequest, pk: str | None = None) -> Response:
        """The first contacts as they would be imported, and the file's columns."""
        contact_import = self.get_object()
        country = request.query_params.get("country")
        preview = selectors.import_preview(
            user=request.user, contact_import=contact_import, country=country
        )
        return Response(
            {
                "country": preview["country"],
                "columns": preview["columns"],
                "groups": preview["groups"],
                "contacts": [_preview_contact(c, preview["country"]) for c in preview["contacts"]],
                "targets": [t for t, _label in csvfile.CUSTOM_TARGETS],
            }
        )

    @extend_schema(request=ImportStartSerializer, responses={202: ContactImportSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request: AuthedApiRequest, pk: str | None = None) -> Response:
        """Choose the target book and what to do with duplicates, and queue the import."""
        contact_import = self.get_object()
        options = ImportStartSerializer(data=request.data, context={"request": request})
        options.is_valid(raise_exception=True)
        importing.import_start(
            contact_import=contact_import,
            by=request.user,
            book=own_book(request, options.validated_data["book"]),
            duplicates=options.validated_data["duplicates"],
            mapping=options.validated_data.get("mapping"),
            country=options.validated_data.get("country") or None,
        )
        contact_import.refresh_from_db()
        return Response(self.get_serializer(contact_import).data, status=status.HTTP_202_ACCEPTED)


def _preview_contact(item: Any, country: str) -> dict[str, Any]:
    """A previewed contact as JSON: numbers as they will be stored, shown internationally."""
    if isinstance(item, records.Rejected):
        return {"line": item.line, "rejected": item.reason}
    data = {
        k: v
        for k, v in ((f.name, getattr(item, f.name)) for f in fields(item))
        if k not in ("photo", "photo_sizes", "photo_names", "pk", "queued", "phone_keys")
    }
    data["phones"] = [
        {
            "kind": kind,
            "number": number,
            "extension": extension,
            "label": label,
            "verified": verified,
            "display": phones.international(number),
        }
        for kind, number, extension, label, verified in item.phones
    ]
    data["emails"] = [{"kind": k, "address": a, "label": lb} for k, a, lb in item.emails]
    data["has_photo"] = item.photo is not None
    return data
