from typing import Any

from django.http import HttpRequest

from uc_web.views import COMING_SOON


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the navigation of every page needs."""
    return {"nav_sections": COMING_SOON}
