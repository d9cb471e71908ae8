from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.presence import State
from uc_web.lib import media
from uc_web.views import COMING_SOON

MONITOR_GROUPS = [
    ("favourites", _("Favourites")),
    ("company", _("Company")),
    ("contacts", _("Contacts")),
]
# action, label, icon, whether its feature has landed (disabled until then)
MONITOR_ACTIONS = [
    ("call", _("Call"), "bi-telephone", True),
    ("video", _("Video call"), "bi-camera-video", True),
    ("text", _("Send text message"), "bi-chat-text", True),
    ("voicemail", _("Send voice mail"), "bi-mic", True),
    ("videomail", _("Send video mail"), "bi-film", True),
    ("contact", _("View contact"), "bi-person-vcard", True),
    ("crm", _("View CRM records"), "bi-journal-text", False),
    ("favourite", _("Add to Favourites"), "bi-star", True),
    ("remove", _("Remove from Online Monitor"), "bi-person-dash", True),
    ("block", _("Block"), "bi-slash-circle", True),
]


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the navigation and the Online Monitor panel of every page need."""
    return {
        "nav_sections": COMING_SOON,
        "monitor_groups": MONITOR_GROUPS,
        "monitor_actions": MONITOR_ACTIONS,
        "presence_states": State.choices,
        "max_upload_bytes": media.MAX_UPLOAD_BYTES,
    }
