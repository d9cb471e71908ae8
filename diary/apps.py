from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from uc_web.lib import publicid


class DiaryConfig(AppConfig):
    name = "diary"
    verbose_name = _("Diary")

    def ready(self) -> None:
        publicid.register("appointment", "diary.appointment")
