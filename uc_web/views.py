import asyncio
import json
import logging
import uuid
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts import dates, presence
from accounts import selectors as account_selectors
from uc_web.lib import ratelimit
from uc_web.lib.api import INTERNAL_ERROR
from uc_web.lib.signed_in import AuthedRequest
from uc_web.middleware import is_api

logger = logging.getLogger(__name__)

# Sections whose issues have not landed yet: nav entry -> page title.
COMING_SOON = {
    "crm": _("CRM"),
}

# Help chapters: slug -> title, in the order the help menu lists them.
HELP_TOPICS = {
    "getting-started": _("Getting started"),
    "profile": _("Your profile"),
    "company": _("The company profile"),
    "users": _("Users and roles"),
    "contacts": _("Contacts and import"),
    "phone-numbers": _("Phone numbers"),
    "online-monitor": _("Online Monitor"),
    "calls": _("Calls"),
    "messages": _("Messages"),
    "diary": _("Diary"),
    "connection": _("The live connection"),
    "api": _("The API"),
}


def _first_steps(user: Any) -> list[dict[str, Any]]:
    """What a newcomer should do next, each with whether it is done (home, welcome page)."""
    from contacts import selectors as contact_selectors

    profile = getattr(user, "profile", None)
    steps = []
    if user.company_id is not None and user.has_perm("accounts.manage_company"):
        steps.append(
            {
                "key": "invite",
                "title": _("Invite your colleagues"),
                "text": _("They get an email with a link to join your company."),
                "url": reverse("accounts:users"),
                "done": account_selectors.member_list(user=user).exclude(pk=user.pk).exists(),
            }
        )
    steps += [
        {
            "key": "photo",
            "title": _("Set your photo"),
            "text": _("Colleagues recognise you in their Online Monitor and on calls."),
            "url": reverse("accounts:profile") + "#photo",
            "done": bool(profile and profile.has_photo),
        },
        {
            "key": "import",
            "title": _("Import your contacts"),
            "text": _("From Outlook, Google, Apple or any vCard or CSV file."),
            "url": reverse("contacts:import"),
            "done": contact_selectors.contact_list(user=user).exists(),
        },
        {
            "key": "monitor",
            "title": _("Add people outside your company"),
            "text": _("Send a contact request by email; once accepted you see each other online."),
            "url": reverse("accounts:monitor"),
            "done": bool(account_selectors.contact_ids(user_id=user.pk)),
        },
    ]
    return steps


def _favourites(user: Any) -> list[dict[str, Any]]:
    """My favourites with the presence I may see, online first."""
    entries = [e for e in account_selectors.monitor_people(user=user) if e.favourite]
    snaps = async_to_sync(presence.get_store().snapshot)(
        [e.user.pk for e in entries], now=presence.clock()
    )
    people = []
    for entry in entries:
        shown = (snaps[entry.user.pk] if entry.visible else presence.OFFLINE).public()
        people.append(
            {
                "user": entry.user,
                "state": shown["state"],
                "state_label": presence.State(shown["state"]).label,
                "text": shown["text"],
            }
        )
    people.sort(key=lambda p: (p["state"] == "offline", p["user"].get_full_name().lower()))
    return people


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    """What is waiting for me: missed calls today, contact requests, my favourites, and the
    first steps until they are done."""
    from calls import selectors as call_selectors

    user = request.user
    start_of_day = dates.local(timezone.now(), user).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    steps = _first_steps(user)
    favourites = _favourites(user)
    return render(
        request,
        "uc_web/home.html",
        {
            "first_steps": steps if not all(step["done"] for step in steps) else [],
            "missed_calls": list(
                call_selectors.call_list(user=user, filter="missed").filter(
                    created_at__gte=start_of_day
                )[:10]
            ),
            "requests": list(account_selectors.contact_request_inbox(user=user)[:10]),
            "favourites": favourites,
            "favourites_online": sum(p["state"] != "offline" for p in favourites),
        },
    )


@login_required
def welcome(request: AuthedRequest) -> HttpResponse:
    """Where an invited person lands after setting their password."""
    return render(request, "uc_web/welcome.html", {"first_steps": _first_steps(request.user)})


@login_required
def coming_soon(request: AuthedRequest, section: str) -> HttpResponse:
    if section not in COMING_SOON:
        raise Http404
    return render(
        request, "uc_web/coming_soon.html", {"section": section, "title": COMING_SOON[section]}
    )


def help_page(request: HttpRequest, topic: str = "getting-started") -> HttpResponse:
    if topic not in HELP_TOPICS:
        raise Http404
    return render(
        request,
        f"uc_web/help/{topic}.html",
        {"topic": topic, "help_topics": list(HELP_TOPICS.items())},
    )


@require_GET
def root_icon(request: HttpRequest, name: str) -> HttpResponse:
    """/favicon.ico and /apple-touch-icon.png, which browsers ask for whatever the page says:
    to the static file (its hashed name in production)."""
    return HttpResponsePermanentRedirect(static(name))


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


async def _probe_channel_layer() -> None:
    # One coroutine, so the pub/sub layer is subscribed before the message goes out.
    layer = get_channel_layer()
    channel = await layer.new_channel("healthz.")
    probe = {"type": "healthz.probe", "nonce": uuid.uuid4().hex}
    await layer.send(channel, probe)
    if await asyncio.wait_for(layer.receive(channel), timeout=5) != probe:
        raise RuntimeError("channel layer returned a different message")


def _check_channel_layer() -> None:
    async_to_sync(_probe_channel_layer)()


def _check_redis() -> None:
    import redis

    redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness of the parts this process depends on; 503 when any is down."""
    checks = {"database": _check_database, "channel_layer": _check_channel_layer}
    if settings.REDIS_URL:
        checks["redis"] = _check_redis
    report: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
            report[name] = "ok"
        except Exception as error:
            logger.warning("healthz: %s failed: %s", name, error)
            report[name] = "error"
    healthy = all(v == "ok" for v in report.values())
    body: dict[str, Any] = {"status": "ok" if healthy else "error", "checks": report}
    # The media relay is reported, not required: calls go browser to browser without it;
    # relayed calls and the connection test's echo say "Media server unavailable".
    try:
        from calls import relay

        body["relay"] = {"available": False, **relay.status()}
        body["relay"]["available"] = body["relay"]["workers"] > 0
    except Exception as error:
        logger.warning("healthz: relay status failed: %s", error)
        body["relay"] = {"available": False, "workers": 0, "sessions": 0}
    return JsonResponse(body, status=200 if healthy else 503)


def error_404(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The API answers an unknown address in its own shape; pages show the 404 page."""
    if is_api(request):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def error_500(request: HttpRequest) -> HttpResponse:
    """A bug outside the API's views (say, in a middleware) still answers the API as JSON."""
    if is_api(request):
        return JsonResponse(INTERNAL_ERROR, status=500)
    return defaults.server_error(request)


csp_logger = logging.getLogger("uc_web.csp")
CSP_REPORT_MAX_BYTES = 16 * 1024


@csrf_exempt
@require_POST
def csp_report(request: HttpRequest) -> HttpResponse:
    """Where browsers report Content-Security-Policy violations: logged, one line each.

    Anyone can post here, so a report is bounded in size, its fields are logged as data (not
    formatted into the message), and each address may report `csp_report.ip` times."""
    if ratelimit.hit("csp_report.ip", request.META.get("REMOTE_ADDR", "")):
        return HttpResponse(status=429)
    body = request.body[: CSP_REPORT_MAX_BYTES + 1]
    if len(body) > CSP_REPORT_MAX_BYTES:
        return HttpResponse(status=413)
    try:
        report = json.loads(body)
    except ValueError:
        return HttpResponse(status=400)
    if isinstance(report, dict):
        report = report.get("csp-report", report)
    if not isinstance(report, dict):
        return HttpResponse(status=400)
    fields = ("document-uri", "violated-directive", "effective-directive", "blocked-uri")
    csp_logger.warning(
        "CSP violation: %s",
        json.dumps({key: str(report.get(key, ""))[:500] for key in fields}),
    )
    return HttpResponse(status=204)
