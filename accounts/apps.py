from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from accounts import regions, roles

        # Like Django's own permissions: (re)created after migrate and after flush.
        post_migrate.connect(roles.ensure_roles, sender=self)
        post_migrate.connect(regions.ensure_countries, sender=self)
