from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import api as accounts_api
from uc_web import views

admin.site.site_header = _("UC Web administration")
admin.site.site_title = _("UC Web admin")

api_v1 = [
    path("me/", accounts_api.MeView.as_view(), name="me"),
    path("", include("contacts.api_urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("help/", views.help_page, name="help"),
    path("help/<slug:topic>/", views.help_page, name="help-topic"),
    path("soon/<slug:section>/", views.coming_soon, name="coming-soon"),
    path("", include("accounts.urls")),
    path("contacts/", include("contacts.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
