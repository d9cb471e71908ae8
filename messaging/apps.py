from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from uc_web.lib import publicid


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Messages")

    def ready(self) -> None:
        publicid.register("delivery", "messaging.delivery")
        publicid.register("announcement", "messaging.announcement")
