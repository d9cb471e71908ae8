"""Django admin, scoped: a company admin sees and changes only their own company.

Every queryset, foreign-key and many-to-many choice, and object URL is limited to the
requesting admin's company (another company's object is a 404, not a redirect). A
company admin grants every company role (Company admin, CRM user, PSTN caller,
Announcer) to anyone of their company, themselves included, but cannot make anyone
superuser or staff, or pick permissions one by one; staff status follows the Company
admin role.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import audit, dates, roles, selectors, services
from accounts.models import Company, Profile, Region, User
from uc_web.lib import phones
from uc_web.lib.signed_in import user_of

# Fields only a superuser sees on a user.
SUPERUSER_ONLY_FIELDS = {"is_superuser", "is_staff", "user_permissions", "company"}


def _is_superuser(request: HttpRequest) -> bool:
    return bool(request.user.is_superuser)


def _company(request: HttpRequest) -> Company:
    """The company a (non-superuser) administrator manages; staff without one get nothing."""
    company = user_of(request).company
    if company is None:
        raise PermissionDenied
    return company


def grantable_roles(user: User) -> QuerySet[Group]:
    """Every company role for a company admin; any group for a superuser."""
    return selectors.role_grantable_list(user=user)


def _when(field: str, label: Any) -> Any:
    """A read-only admin column or field showing a datetime the way the viewer prefers."""

    @admin.display(description=label, ordering=field, empty_value="—")
    def show(self: Any, obj: Any) -> str | None:
        value = getattr(obj, field)
        return dates.datetime_text(value) if value else None

    show.__name__ = f"{field}_shown"
    return show


def _photo_html(user: User) -> str:
    url = user.photo_url_small
    if url:
        return format_html(
            '<img class="uc-admin-avatar" src="{}" alt="" width="32" height="32">', url
        )
    return format_html('<span class="uc-admin-avatar" aria-hidden="true">{}</span>', user.initials)


class _PhoneFieldsForm(forms.ModelForm):
    """Phone numbers typed in admin are stored as E.164 too, like on the profile page."""

    phone_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name in self.phone_fields:
            if name in self.fields:
                self.fields[name].max_length = 40  # type: ignore[attr-defined]  # a CharField
                self.fields[name].widget.attrs["maxlength"] = 40
                self.fields[name].validators = []

    def dialling_country(self) -> str:
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        country = self.dialling_country()
        for name in self.phone_fields:
            if data.get(name):
                try:
                    data[name] = phones.to_e164(data[name], country=country)
                except ValidationError as error:
                    self.add_error(name, error)
        return data


class ProfileAdminForm(_PhoneFieldsForm):
    phone_fields = ("phone_mobile", "phone_work", "phone_home")

    class Meta:
        model = Profile
        fields = [*Profile.EDITABLE_FIELDS, "regions"]

    def dialling_country(self) -> str:
        if self.cleaned_data.get("dialling_country"):
            return self.cleaned_data["dialling_country"]
        return self.instance.user.default_dialling_country if self.instance.pk else ""


class CompanyAdminForm(_PhoneFieldsForm):
    phone_fields = ("phone",)
    website = Company._meta.get_field("website").formfield(assume_scheme="https")

    class Meta:
        model = Company
        fields = [
            "name",
            "address",
            "website",
            "phone",
            "regions",
            "default_time_zone",
            "default_dialling_country",
        ]

    def dialling_country(self) -> str:
        return self.cleaned_data.get("default_dialling_country", "")


class CompanyScopedMixin:
    """Limit querysets to the requesting user's company unless they are a superuser."""

    company_field = "company"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)  # type: ignore[misc]
        if _is_superuser(request):
            return qs
        return qs.filter(**{self.company_field: _company(request).pk})

    def _object_in_scope(self, request: HttpRequest, object_id: str) -> None:
        # Django's admin answers a missing object with a redirect and a message; for an
        # object of another company that would confirm it exists. Answer 404 instead.
        try:
            found = self.get_queryset(request).filter(pk=unquote(object_id)).exists()
        except (ValueError, TypeError):
            found = False
        if not found:
            raise Http404

    def change_view(self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any):
        self._object_in_scope(request, object_id)
        return super().change_view(request, object_id, *args, **kwargs)  # type: ignore[misc]

    def delete_view(self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any):
        self._object_in_scope(request, object_id)
        return super().delete_view(request, object_id, *args, **kwargs)  # type: ignore[misc]

    def history_view(self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any):
        self._object_in_scope(request, object_id)
        return super().history_view(request, object_id, *args, **kwargs)  # type: ignore[misc]


def _scope_regions(request: HttpRequest, kwargs: dict[str, Any]) -> None:
    if not _is_superuser(request):
        kwargs["queryset"] = selectors.region_list(user=user_of(request))


@admin.register(Company)
class CompanyAdmin(CompanyScopedMixin, admin.ModelAdmin):
    company_field = "pk"
    form = CompanyAdminForm
    list_display = ["logo", "name", "website", "created_at_shown"]
    list_display_links = ["logo", "name"]
    search_fields = ["name"]
    readonly_fields = ["logo", "created_at_shown"]
    filter_horizontal = ["regions"]
    fieldsets = [
        (None, {"fields": ["logo", "name", "address", "website", "phone"]}),
        (_("Regions and markets"), {"fields": ["regions"]}),
        (
            _("Defaults for new members"),
            {"fields": ["default_time_zone", "default_dialling_country"]},
        ),
        (_("Calls"), {"fields": ["calls_via_server"]}),
        (_("Dates"), {"fields": ["created_at_shown"]}),
    ]

    created_at_shown = _when("created_at", _("created"))

    @admin.display(description=_("logo"))
    def logo(self, obj: Company) -> str:
        if not obj.logo_url_small:
            return "—"
        return format_html(
            '<img class="uc-admin-logo" src="{}" alt="{}">', obj.logo_url_small, obj.name
        )

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "regions":
            _scope_regions(request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _is_superuser(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_superuser(request)


@admin.register(Region)
class RegionAdmin(CompanyScopedMixin, admin.ModelAdmin):
    """Company admins manage their named markets; countries are shared and fixed."""

    list_display = ["name", "kind", "code", "company"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        return qs if _is_superuser(request) else qs.filter(kind=Region.Kind.MARKET)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if _is_superuser(request):
            return ["kind", "code", "name", "company"]
        return ["name"]

    def get_list_display(self, request: HttpRequest) -> Any:
        return self.list_display if _is_superuser(request) else ["name"]

    def get_list_filter(self, request: HttpRequest) -> Any:
        return self.list_filter if _is_superuser(request) else []

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if _is_superuser(request):
            return form
        company_id = _company(request).pk

        class CompanyMarketForm(form):  # type: ignore[misc, valid-type]
            def clean(self) -> dict[str, Any]:
                data = super().clean() or self.cleaned_data
                name = data.get("name", "").strip()
                taken = Region.objects.filter(
                    kind=Region.Kind.MARKET, company_id=company_id, name__iexact=name
                ).exclude(pk=self.instance.pk)
                if name and taken.exists():
                    self.add_error("name", _("Your company already has a market with this name."))
                return data

        return CompanyMarketForm

    def save_model(self, request: HttpRequest, obj: Region, form: Any, change: bool) -> None:
        if not _is_superuser(request):
            obj.kind = Region.Kind.MARKET
            obj.company_id = _company(request).pk
            obj.code = ""
        super().save_model(request, obj, form, change)


class ProfileInline(admin.StackedInline):
    model = Profile
    form = ProfileAdminForm
    can_delete = False
    extra = 0
    max_num = 1
    verbose_name_plural = _("profile")
    filter_horizontal = ["regions"]
    readonly_fields = ["photo"]
    fieldsets = [
        (None, {"fields": ["photo", "job_title", "department"]}),
        (_("Phone numbers (E.164)"), {"fields": ["phone_mobile", "phone_work", "phone_home"]}),
        (
            _("Preferences"),
            {
                "classes": ["collapse"],
                "fields": [
                    "time_zone",
                    "language",
                    "date_format",
                    "dialling_country",
                    "ring_timeout_seconds",
                    "sounds_enabled",
                    "desktop_notifications",
                    "away_after_minutes",
                ],
            },
        ),
        (
            _("Options"),
            {
                "classes": ["collapse"],
                "fields": [
                    "presence_visibility",
                    "contact_requests_from",
                    "directory_visible_outside",
                    "calls_via_server",
                ],
            },
        ),
        (_("Regions and markets"), {"fields": ["regions"]}),
    ]

    @admin.display(description=_("photo"))
    def photo(self, obj: Profile) -> str:
        return _photo_html(obj.user)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "regions":
            _scope_regions(request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the profile is made with the user


class UserInviteForm(forms.ModelForm):
    """Adding a user invites them: no password here, they set it from the email."""

    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "company", "groups"]
        labels = {"groups": _("Roles")}

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        # Only superusers see the field; for company admins save_model sets their company.
        if "company" in self.fields and not data.get("company"):
            self.add_error("company", _("Choose the company the new user belongs to."))
        return data


class SelfLockoutGuard(forms.ModelForm):
    """A company admin editing themselves cannot deactivate or demote themselves."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if "is_active" in data and not data["is_active"]:
            self.add_error("is_active", _("You cannot deactivate yourself."))
        groups = data.get("groups")
        if groups is not None and not any(g.name == roles.COMPANY_ADMIN for g in groups):
            self.add_error("groups", _("You cannot remove your own Company admin role."))
        return data


class RoleFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(name, label) for name, label in roles.ROLE_LABELS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(groups__name=self.value())
        return queryset


class InvitedFilter(admin.SimpleListFilter):
    title = _("invitation")
    parameter_name = "invited"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Invited, not signed in yet")), ("no", _("Has signed in"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        invited = Q(invited_at__isnull=False, last_login__isnull=True)
        if self.value() == "yes":
            return queryset.filter(invited)
        if self.value() == "no":
            return queryset.exclude(invited)
        return queryset


@admin.register(User)
class UserAdmin(CompanyScopedMixin, BaseUserAdmin):
    add_form = UserInviteForm
    add_form_template = None
    ordering = ["email"]
    list_display = [
        "photo",
        "email",
        "first_name",
        "last_name",
        "role_names",
        "status",
        "last_login_shown",
    ]
    list_display_links = ["email"]  # the photo is no second, nameless link to the same page
    list_filter = [RoleFilter, "is_active", InvitedFilter]
    search_fields = [
        "email",
        "first_name",
        "last_name",
        "profile__job_title",
        "profile__department",
    ]
    readonly_fields = ["last_login_shown", "date_joined_shown", "invited_at_shown"]
    inlines = [ProfileInline]
    actions = ["deactivate"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name", "company"]}),
        (_("Roles"), {"fields": ["is_active", "groups"]}),
        (_("Superuser only"), {"fields": ["is_staff", "is_superuser", "user_permissions"]}),
        (_("Dates"), {"fields": ["invited_at_shown", "last_login_shown", "date_joined_shown"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "first_name", "last_name", "company", "groups"],
                "description": _(
                    "The new user receives an email with a link to join and set their password."
                ),
            },
        ),
    ]

    last_login_shown = _when("last_login", _("last sign-in"))
    date_joined_shown = _when("date_joined", _("date joined"))
    invited_at_shown = _when("invited_at", _("invited"))

    def get_inlines(self, request: HttpRequest, obj: Any) -> list:
        return self.inlines if obj is not None else []  # the profile is made on save

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("profile", "company")
            .prefetch_related("groups")
        )

    def get_list_display(self, request: HttpRequest) -> Any:
        if _is_superuser(request):
            return [*self.list_display[:4], "company", *self.list_display[4:]]
        return self.list_display

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        if _is_superuser(request):
            return [*self.list_filter, "company"]
        return self.list_filter

    @admin.display(description=_("photo"))
    def photo(self, obj: User) -> str:
        return _photo_html(obj)

    @admin.display(description=_("roles"))
    def role_names(self, obj: User) -> str:
        return ", ".join(str(roles.ROLE_LABELS.get(g.name, g.name)) for g in obj.groups.all())

    @admin.display(description=_("status"))
    def status(self, obj: User) -> str:
        if not obj.is_active:
            return str(_("deactivated"))
        if obj.is_invited:
            return str(_("invited"))
        return str(_("active"))

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if _is_superuser(request):
            return fieldsets
        return [
            (
                name,
                {**opts, "fields": [f for f in opts["fields"] if f not in SUPERUSER_ONLY_FIELDS]},
            )
            for name, opts in fieldsets
            if [f for f in opts["fields"] if f not in SUPERUSER_ONLY_FIELDS]
        ]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and obj.pk == request.user.pk and not _is_superuser(request):
            return type("OwnUserForm", (SelfLockoutGuard, form), {})
        return form

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "company" and not _is_superuser(request):
            kwargs["queryset"] = Company.objects.filter(pk=_company(request).pk)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "groups":
            kwargs["queryset"] = grantable_roles(user_of(request))
            kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
            kwargs["label"] = _("Roles")
            kwargs["help_text"] = _(
                "Company admins manage the company and its users; CRM users keep CRM "
                "records; PSTN callers call phone numbers from the prepaid balance; "
                "announcers send announcements to markets."
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        if change:
            return super().save_form(request, form, change)
        # Adding someone invites them through the same service as the app's Users page.
        data = form.cleaned_data
        company = data.get("company") if _is_superuser(request) else _company(request)
        groups = list(data.get("groups") or [])
        user = services.user_invite(
            company=company,
            by=user_of(request),
            email=data["email"],
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            roles_=[g.name for g in groups if g.name in roles.ROLE_PERMISSIONS],
            base_url=request.build_absolute_uri("/"),
        )
        others = [g for g in groups if g.name not in roles.ROLE_PERMISSIONS]
        if others:  # a superuser's own groups
            user.groups.add(*others)
        return user

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        if not change:
            return  # save_form created and invited them
        if not _is_superuser(request):
            obj.company_id = _company(request).pk
            obj.is_superuser = False
        # Groups the acting admin cannot grant (set by a superuser) stay as they were.
        form._kept_roles = list(obj.groups.exclude(pk__in=grantable_roles(user_of(request))))
        was_active = User.objects.filter(pk=obj.pk, is_active=True).exists()
        super().save_model(request, obj, form, change)
        if was_active and not obj.is_active:
            # also closes their sockets everywhere
            services.user_deactivate(user=obj, by=user_of(request))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if not change:
            self.message_user(
                request,
                _("An invitation was sent to %(email)s.") % {"email": form.cleaned_data["email"]},
                messages.SUCCESS,
            )
            return
        super().save_related(request, form, formsets, change)
        if "groups" in form.cleaned_data:
            chosen = list(form.cleaned_data["groups"]) + getattr(form, "_kept_roles", [])
            services.user_roles_set(user=form.instance, roles_=chosen, by=user_of(request))

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            # A new password ends the user's other sessions; close their sockets too.
            changed = User.objects.get(pk=unquote(id))
            services.user_sessions_revalidate(user=changed)
            audit.record(
                kind=audit.Kind.PASSWORD_CHANGED,
                subject=changed,
                actor=user_of(request),
                request=request,
                detail="set by an admin",
            )
        return response

    @admin.action(description=_("Deactivate the selected users (keeps their history)"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = 0
        for user in queryset.filter(is_active=True).exclude(pk=request.user.pk):
            services.user_deactivate(user=user, by=user_of(request))
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d user deactivated.", "%(count)d users deactivated.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deactivate instead: calls, messages and CRM records keep their author.
        return _is_superuser(request)
