from allauth.account import views as allauth_views
from django.contrib import admin
from django.db import transaction
from django.urls import URLPattern, URLResolver, include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import api as accounts_api
from uc_web import views

handler404 = "uc_web.views.error_404"
handler500 = "uc_web.views.error_500"

api_v1: list[URLPattern | URLResolver] = [
    path("me/", accounts_api.MeView.as_view(), name="me"),
    path("presence/", accounts_api.PresenceView.as_view(), name="presence"),
    path("monitor/people/", accounts_api.MonitorPeopleView.as_view(), name="monitor-people"),
    path(
        "monitor/people/<user:pk>/", accounts_api.MonitorPersonView.as_view(), name="monitor-person"
    ),
    path("monitor/favourites/<user:pk>/", accounts_api.FavouriteView.as_view(), name="favourite"),
    path(
        "contact-requests/<contact_request:pk>/<str:answer>/",
        accounts_api.ContactRequestAnswerView.as_view(),
        name="contact-request-answer",
    ),
    path(
        "contact-requests/<contact_request:pk>/",
        accounts_api.ContactRequestView.as_view(),
        name="contact-request",
    ),
    path("blocks/", accounts_api.BlockListView.as_view(), name="blocks"),
    path("blocks/<user:pk>/", accounts_api.BlockView.as_view(), name="block"),
    path("choices/<slug:kind>/", accounts_api.ChoicesView.as_view(), name="choices"),
    path("", include("contacts.api_urls")),
    path("", include("calls.api_urls")),
    path("", include("diary.api_urls")),
    path("", include("messaging.api_urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("welcome/", views.welcome, name="welcome"),
    path("healthz", views.healthz, name="healthz"),
    path("csp-report/", views.csp_report, name="csp-report"),
    # Browsers ask for these at the root whatever the page says.
    path("favicon.ico", views.root_icon, {"name": "favicon.ico"}),
    path("apple-touch-icon.png", views.root_icon, {"name": "apple-touch-icon.png"}),
    path("help/", views.help_page, name="help"),
    path("help/<slug:topic>/", views.help_page, name="help-topic"),
    path("soon/<slug:section>/", views.coming_soon, name="coming-soon"),
    path("", include("accounts.urls")),
    # One transaction, so the "re-check your session" event for the user's other sockets
    # goes out after this browser's session has been re-keyed for the new password.
    path(
        "accounts/password/change/",
        transaction.atomic(allauth_views.password_change),
        name="account_change_password",
    ),
    path("contacts/", include("contacts.urls")),
    path("calls/", include("calls.urls")),
    path("diary/", include("diary.urls")),
    path("messages/", include("messaging.urls")),
    path("accounts/", include("allauth.urls")),
    # After allauth's own pattern of this name, so that reverse() writes this one: the
    # user's public id instead of allauth's base-36 primary key (a "." where allauth has
    # a "-", so that allauth's pattern does not catch these links first).
    path(
        "accounts/password/reset/key/<reset_user:uidb36>.<str:key>/",
        allauth_views.password_reset_from_key,
        name="account_reset_password_from_key",
    ),
    # One way to change one's own password: allauth's page, whose adapter ends the other
    # sessions and closes their sockets (accounts.services.user_set_password).
    path(
        "admin/password_change/",
        RedirectView.as_view(pattern_name="account_change_password"),
        name="admin-password-change",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
