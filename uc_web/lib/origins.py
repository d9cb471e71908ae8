"""The site's own origins, for the websocket's Origin check (uc_web/asgi.py).

A browser sends the page's origin (scheme, host, port) with every websocket handshake.
Channels' AllowedHostsOriginValidator compared host names only, so a page on the same host
at another port or scheme (another service on that machine, plain http beside https) could
open a signed-in user's socket. Here the origin must be exactly the site's own: the Host the
browser connected to (itself one of ALLOWED_HOSTS), with the scheme the site is served over,
or one of DJANGO_CSRF_TRUSTED_ORIGINS."""

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise(origin: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin such as `https://uc.example.com`, or None."""
    try:
        parts = urlsplit(origin.strip().lower())
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or port is None:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return None
    return parts.scheme, parts.hostname, port


def _headers(scope: dict[str, Any]) -> dict[bytes, str]:
    return {name: value.decode("latin1") for name, value in scope.get("headers", [])}


def own_origins(scope: dict[str, Any]) -> set[tuple[str, str, int]]:
    """The origins a page of this site has, as seen from this handshake."""
    headers = _headers(scope)
    origins = {o for o in map(normalise, settings.CSRF_TRUSTED_ORIGINS) if o is not None}
    host = headers.get(b"host", "")
    domain, _port = split_domain_port(host)
    if domain and validate_host(domain, settings.ALLOWED_HOSTS):
        # daphne's websocket scope has no scheme; behind the TLS proxy the site is https
        # (settings.HTTPS) and the proxy says so in X-Forwarded-Proto.
        https = settings.HTTPS or headers.get(b"x-forwarded-proto", "") == "https"
        own = normalise(f"{'https' if https else 'http'}://{host}")
        if own is not None:
            origins.add(own)
    return origins


def origin_allowed(scope: dict[str, Any]) -> bool:
    origin = _headers(scope).get(b"origin")
    if origin is None:
        return False
    parsed = normalise(origin)
    return parsed is not None and parsed in own_origins(scope)


class SameOriginValidator:
    """Refuse (HTTP 403) a websocket handshake whose Origin is not the site's own."""

    def __init__(self, application: Any):
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
