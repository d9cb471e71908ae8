import asyncio
import logging
import uuid

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
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

# Sections whose issues have not landed yet: nav entry -> page title.
COMING_SOON = {
    "messages": _("Messages"),
    "diary": _("Diary"),
    "crm": _("CRM"),
}

HELP_TOPICS = ["getting-started", "online-monitor", "calls", "connection"]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "uc_web/home.html")


@login_required
def coming_soon(request: HttpRequest, section: str) -> HttpResponse:
    if section not in COMING_SOON:
        raise Http404
    return render(
        request, "uc_web/coming_soon.html", {"section": section, "title": COMING_SOON[section]}
    )


def help_page(request: HttpRequest, topic: str = "getting-started") -> HttpResponse:
    if topic not in HELP_TOPICS:
        raise Http404
    return render(request, f"uc_web/help/{topic}.html", {"topic": topic})


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
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": report}, status=200 if healthy else 503
    )
