from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from uc_web.lib import publicid


class CallsConfig(AppConfig):
    name = "calls"
    verbose_name = _("Calls")

    def ready(self) -> None:
        publicid.register("call", "calls.call")
