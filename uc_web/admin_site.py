"""The Django admin site, signed in to through allauth like every other page.

Every registered admin filters its changelist only through the filters it declares
(DeclaredLookupsOnly). Django's admin has its own sign-in form, outside allauth's
throttle and audit: here its login view sends a signed-out visitor to /accounts/login/
(throttled, audited, with two-factor sign-in) and back, and tells a signed-in user
without the Company admin role why the admin is not for them (no second sign-in form).
"""

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin import widgets
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.contrib.admin.filters import FieldListFilter, SimpleListFilter
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _


class DeclaredLookupsOnly:
    """A changelist filters only through the filters its admin declares.

    Django's admin accepts any lookup on a model's own fields in the query string
    (`?password__startswith=p`) and through one-to-one relations
    (`?auth_token__key__startswith=6`), and a "1 result"/"0 results" answer then reads a
    secret one character at a time. Here every query-string parameter must be one that a
    declared list filter (or the date hierarchy) itself uses; anything else is refused
    with 400 (Django's DisallowedModelAdminLookup) and filters nothing.
    """

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        if lookup in self.declared_lookups(request):
            return True
        # Raw-id popups pass a field's limit_choices_to as lookups (Django's own rule).
        for fk_lookup in self.model._meta.related_fkey_lookups:  # type: ignore[attr-defined]
            if callable(fk_lookup):
                fk_lookup = fk_lookup()
            if (lookup, value) in widgets.url_params_from_lookup_dict(fk_lookup).items():
                return True
        return False

    def declared_lookups(self, request: HttpRequest | None) -> set[str]:
        """The query-string parameters the declared list filters read."""
        allowed: set[str] = set()
        list_filter = (
            self.get_list_filter(request)  # type: ignore[attr-defined]
            if request is not None
            else self.list_filter  # type: ignore[attr-defined]
        )
        for item in list_filter:
            if isinstance(item, type) and issubclass(item, SimpleListFilter):
                allowed.add(item.parameter_name or "")
                continue
            if isinstance(item, (list, tuple)):
                field_path, filter_class = item
            else:
                field_path, filter_class = item, FieldListFilter.create
            field = get_fields_from_path(self.model, field_path)[-1]  # type: ignore[attr-defined]
            spec = filter_class(field, request, {}, self.model, self, field_path=field_path)  # type: ignore[attr-defined]
            allowed.update(spec.expected_parameters())
        hierarchy = getattr(self, "date_hierarchy", None)
        if hierarchy:
            allowed.update(f"{hierarchy}__{part}" for part in ("year", "month", "day"))
        return allowed


class AdminSite(admin.AdminSite):
    site_header = _("UC Web administration")
    site_title = _("UC Web admin")

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        # Every admin of every app (ours, Django's, allauth's) filters only as declared.
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, DeclaredLookupsOnly):
            admin_class = type(admin_class.__name__, (DeclaredLookupsOnly, admin_class), {})
        super().register(model_or_iterable, admin_class, **options)

    def has_permission(self, request: HttpRequest) -> bool:
        # Where the company requires two-factor sign-in, so does its administration.
        from accounts import selectors
        from uc_web.lib.signed_in import user_of

        return super().has_permission(request) and not selectors.user_mfa_missing(
            user=user_of(request)
        )

    def _next_url(self, request: HttpRequest) -> str:
        wanted = request.GET.get(REDIRECT_FIELD_NAME, "")
        if wanted and url_has_allowed_host_and_scheme(
            wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return wanted
        return reverse("admin:index", current_app=self.name)

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        next_url = self._next_url(request)
        if not request.user.is_authenticated:
            # A password posted here is never checked: one sign-in form, one throttle.
            query = urlencode({REDIRECT_FIELD_NAME: next_url})
            return redirect(f"{reverse('account_login')}?{query}")
        if self.has_permission(request):
            return redirect(next_url)
        return render(request, "uc_web/admin_not_allowed.html", status=403)

    def logout(self, request: HttpRequest, extra_context: Any = None) -> Any:
        # allauth's sign-out also closes the user's live connections (AccountAdapter).
        from allauth.account.views import LogoutView  # not at import: apps load this module

        return LogoutView.as_view()(request)


class AdminConfig(DjangoAdminConfig):
    default_site = "uc_web.admin_site.AdminSite"
