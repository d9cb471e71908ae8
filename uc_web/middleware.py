"""Middleware of the whole site (the apps keep their own in <app>/middleware.py)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class TurboFormStatusMiddleware:
    """Answer a Turbo form submission that re-renders its page with 422, not 200.

    Turbo Drive submits forms with fetch and renders the answer only when it is a redirect
    (followed, then shown) or an error status; a 200 HTML answer to a POST is ignored. Django
    form views re-render an invalid form with 200, so this turns that answer into 422
    (Unprocessable Content) for Turbo's requests alone, and every form view works unchanged.
    Browsers without scripts post normally and still get 200.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.method not in SAFE_METHODS
            and "X-Turbo-Request-Id" in request.headers
            and response.status_code == 200
            and response.get("Content-Type", "").startswith("text/html")
            and not response.streaming
        ):
            response.status_code = 422
        return response


def is_api(request: HttpRequest) -> bool:
    """Whether the request is for the HTTP API, which answers errors as JSON."""
    return request.path_info.startswith("/api/")


class NullCharacterMiddleware:
    """Refuse a query string holding a NUL character (`%00`) with 400, before any view.

    PostgreSQL cannot store or compare text containing NUL, so a search for `a%00b`
    reached the database as an error (500). No parameter of ours can mean anything with
    one, so every page and the API refuse it the same way, with a clear message; request
    bodies are checked by the forms' and serializers' own fields (Django's and DRF's
    CharField refuse NUL)."""

    MESSAGE = _("Null characters are not allowed in the address.")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path_info or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            if is_api(request):
                return JsonResponse(
                    {"detail": str(self.MESSAGE), "code": "null_character"}, status=400
                )
            return render(request, "400.html", {"message": self.MESSAGE}, status=400)
        return self.get_response(request)
