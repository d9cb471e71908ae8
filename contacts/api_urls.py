"""Routes under /api/v1/ (included by uc_web/urls.py in the "api" namespace)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from contacts import api

router = SimpleRouter(use_regex_path=False)  # viewsets name their id converter
router.register("address-books", api.AddressBookViewSet, basename="address-book")
router.register("contacts", api.ContactViewSet, basename="contact")
router.register("directory", api.DirectoryViewSet, basename="directory-user")
router.register("contact-imports", api.ContactImportViewSet, basename="contact-import")

urlpatterns = [
    # Before the router: "search" would otherwise be read as a contact id.
    path("contacts/search/", api.SearchView.as_view(), name="contact-search"),
    *router.urls,
]
