"""ASGI entry point: HTTP through Django, websockets through Channels at /ws/."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "uc_web.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from uc_web import routing  # noqa: E402
from uc_web.lib.origins import SameOriginValidator  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # The Origin must be the site's own: scheme, host and port (uc_web/lib/origins.py).
        "websocket": SameOriginValidator(
            AuthMiddlewareStack(URLRouter(routing.websocket_urlpatterns))
        ),
    }
)

# A server with thousands of sockets holds millions of objects, and a full collection
# walks them all: 250-600 ms pauses with 2,000 sockets, each a stall of every socket
# (bench/presence_fanout.py). What Django loaded at start lives for good, so it is frozen
# out of collections, and full collections are made rarer (settings.GC_THRESHOLDS).
from django.conf import settings  # noqa: E402

gc.collect()
gc.freeze()
gc.set_threshold(*settings.GC_THRESHOLDS)
