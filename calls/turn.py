"""ICE servers for browsers, with TURN REST credentials (coturn's `use-auth-secret`).

The username is `<unix expiry>:<public user id>` and the password base64(HMAC-SHA1(secret,
username)); coturn recomputes it from the shared secret, so nothing is stored.
"""

import base64
import hashlib
import hmac
import time
from typing import Any

from django.conf import settings

from uc_web.lib import publicid


def turn_credentials(*, user_id: int, now: float | None = None) -> dict[str, Any]:
    """Ephemeral TURN username and password for this user, valid TURN_CREDENTIAL_TTL seconds."""
    expiry = int(now if now is not None else time.time()) + settings.TURN_CREDENTIAL_TTL
    username = f"{expiry}:{publicid.encode('accounts.user', user_id)}"
    digest = hmac.new(
        settings.TURN_SHARED_SECRET.encode(), username.encode(), hashlib.sha1
    ).digest()
    return {
        "username": username,
        "credential": base64.b64encode(digest).decode(),
        "expires": expiry,
    }


def ice_configuration(*, user_id: int) -> dict[str, Any]:
    """What RTCPeerConnection needs: iceServers and iceTransportPolicy."""
    servers: list[dict[str, Any]] = []
    if settings.STUN_URLS:
        servers.append({"urls": list(settings.STUN_URLS)})
    expires = None
    if settings.TURN_URLS:
        creds = turn_credentials(user_id=user_id)
        expires = creds.pop("expires")
        servers.append({"urls": list(settings.TURN_URLS), **creds})
    return {
        "iceServers": servers,
        "iceTransportPolicy": settings.CALLS_ICE_TRANSPORT_POLICY,
        "expires": expires,
    }
