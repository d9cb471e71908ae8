from django.urls import path

from accounts import security_views, views

app_name = "accounts"

urlpatterns = [
    path("setup/", views.setup, name="setup"),
    path("monitor/", views.monitor, name="monitor"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/", security_views.tokens, name="tokens"),
    path("profile/tokens/<api_token:pk>/revoke/", security_views.token_revoke, name="token-revoke"),
    path("profile/photo/remove/", views.profile_photo_remove, name="photo-remove"),
    path("people/<user:pk>/", views.person, name="person"),
    path("people/<user:pk>/<slug:action>/", views.person_action, name="person-action"),
    path("people/<user:pk>/photo-<slug:size>.webp", views.photo, name="photo"),
    path("company/", views.company, name="company"),
    path("company/logo/remove/", views.company_logo_remove, name="company-logo-remove"),
    path("company/<company:pk>/logo-<slug:size>.webp", views.company_logo, name="company-logo"),
    path("company/markets/<region:pk>/delete/", views.market_delete, name="market-delete"),
    path("company/users/", views.users, name="users"),
    path("company/audit/", security_views.audit_log, name="audit"),
    path(
        "company/invitations/<user:pk>/<slug:action>/",
        views.invitation_action,
        name="invitation-action",
    ),
    # An invitation's link: the user's public id and a one-time token (like a reset link).
    path("join/<reset_user:uidb36>/<str:key>/", views.join, name="join"),
]
