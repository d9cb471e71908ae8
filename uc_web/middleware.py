"""Middleware of the whole site (the apps keep their own in <app>/middleware.py)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

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
