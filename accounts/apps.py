from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.urls import register_converter
from django.utils.translation import gettext_lazy as _

from uc_web.lib import publicid


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        publicid.register("user", "accounts.user")
        publicid.register("company", "accounts.company")
        publicid.register("region", "accounts.region")
        publicid.register("contact_request", "accounts.contactrequest")
        publicid.register("api_token", "accounts.apitoken")
        register_converter(publicid.ResetUserConverter, "reset_user")
        from accounts import regions, roles, signals

        signals.connect()

        # Like Django's own permissions: (re)created after migrate and after flush.
        post_migrate.connect(roles.ensure_roles, sender=self)
        post_migrate.connect(regions.ensure_countries, sender=self)
