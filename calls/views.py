from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from calls import selectors, services, voicemail
from uc_web.lib import serving
from uc_web.lib.exceptions import ApplicationError
from uc_web.lib.media import limit_uploads_to, too_large
from uc_web.lib.signed_in import AuthedRequest


@login_required
def call_log(request: AuthedRequest) -> HttpResponse:
    """The call log; seeing it clears the missed-calls badge."""
    chosen = request.GET.get("filter")
    chosen = chosen if chosen in selectors.FILTERS else ""
    page = Paginator(selectors.call_list(user=request.user, filter=chosen or None), 50).get_page(
        request.GET.get("page")
    )
    services.call_missed_mark_seen(user=request.user)
    return render(
        request,
        "calls/log.html",
        {"page": page, "filter": chosen, "filters": selectors.FILTERS},
    )


def _profile_voicemail() -> str:
    return reverse("accounts:profile") + "#voicemail"


@require_POST
@login_required
def voicemail_settings(request: AuthedRequest) -> HttpResponse:
    """Let callers leave a message, or not (the profile page's Voicemail section)."""
    enabled = request.POST.get("enabled") == "on"
    voicemail.voicemail_settings_update(user=request.user, enabled=enabled)
    messages.success(
        request,
        _("Callers can leave you a message.")
        if enabled
        else _("Callers can no longer leave you a message."),
    )
    return redirect(_profile_voicemail())


@limit_uploads_to(lambda: settings.MESSAGE_UPLOAD_MAX_BYTES)
@require_POST
@login_required
def greeting_upload(request: AuthedRequest) -> HttpResponse:
    """A recorded greeting (voice or video), checked by messaging's pipeline; JSON answer."""
    from messaging import media

    if too_large(request, "greeting"):
        return JsonResponse({"detail": media.too_large_message()}, status=400)
    upload = request.FILES.get("greeting")
    kind = request.POST.get("kind")
    if upload is None:
        return JsonResponse({"detail": _("Record a greeting first.")}, status=400)
    if kind not in ("voice", "video"):
        return JsonResponse({"detail": _("kind must be 'voice' or 'video'.")}, status=400)
    try:
        voicemail.greeting_save(user=request.user, upload=upload, video=kind == "video")
    except ApplicationError as error:
        return JsonResponse({"detail": error.message, "code": error.code}, status=400)
    messages.success(request, _("Your greeting is saved: callers hear it before the tone."))
    return JsonResponse({"ok": True, "next": _profile_voicemail()})


@require_POST
@login_required
def greeting_delete(request: AuthedRequest) -> HttpResponse:
    voicemail.greeting_delete(user=request.user)
    messages.success(request, _("Your greeting is deleted: callers hear the tone only."))
    return redirect(_profile_voicemail())


@require_GET
@login_required
def greeting_media(request: AuthedRequest, part: str) -> HttpResponseBase:
    """The signed-in person's own greeting (or its poster); nobody else's, ever."""
    box = selectors.voicemail_box_get(user=request.user)
    if part == "recording" and box.greeting:
        return serving.private_file(request, box.greeting, content_type=box.greeting_content_type)
    if part == "poster" and box.greeting_poster:
        return serving.private_file(request, box.greeting_poster, content_type="image/webp")
    raise Http404
