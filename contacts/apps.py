from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from uc_web.lib import publicid


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = _("Contacts")

    def ready(self) -> None:
        publicid.register("book", "contacts.addressbook")
        publicid.register("contact", "contacts.contact")
        publicid.register("contact_import", "contacts.contactimport")
