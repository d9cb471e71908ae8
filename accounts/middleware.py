import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import dates, selectors

# Paths that work before first-run setup.
_OPEN_PREFIXES = (
    "/setup/",
    "/static/",
    "/healthz",
    "/csp-report/",
    "/favicon.ico",
    "/apple-touch-icon.png",
)


class FirstRunMiddleware:
    """Until a company exists, every page leads to the first-run setup."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        signed_in_member = user.is_authenticated and user.company_id is not None
        if (
            not signed_in_member
            and not request.path.startswith(_OPEN_PREFIXES)
            and not selectors.company_exists()
        ):
            return redirect(reverse("accounts:setup"))
        return self.get_response(request)


class UserPreferencesMiddleware:
    """Render each page in the signed-in user's time zone, date format and language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone_name))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
            dates.activate(user)
            language = getattr(getattr(user, "profile", None), "language", "")
            if language and language in dict(settings.LANGUAGES):
                translation.activate(language)
                request.LANGUAGE_CODE = language
        else:
            timezone.deactivate()
            dates.deactivate()
        return self.get_response(request)


# Paths a person without a second factor may still open when their company requires one:
# setting it up (allauth.mfa, which may ask for the password again), signing out, help.
_MFA_SETUP_PREFIXES = (
    "/accounts/2fa/",
    "/accounts/reauthenticate/",
    "/accounts/logout/",
    "/help/",
    "/static/",
    "/healthz",
    "/favicon.ico",
    "/apple-touch-icon.png",
)


class MfaRequiredMiddleware:
    """Where the company requires two-factor sign-in, a member without a second factor is
    sent to set one up before any other page (the admin site and the API included)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(_MFA_SETUP_PREFIXES)
            and selectors.user_mfa_missing(user=user)
        ):
            message = _("Your company requires two-factor sign-in: set it up to continue.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": str(message), "code": "mfa_required"}, status=403)
            messages.warning(request, message)
            return redirect(reverse("mfa_index"))
        return self.get_response(request)
