from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("setup/", views.setup, name="setup"),
    path("monitor/", views.monitor, name="monitor"),
    path("profile/", views.profile, name="profile"),
    path("profile/photo/remove/", views.profile_photo_remove, name="photo-remove"),
    path("people/<int:pk>/", views.person, name="person"),
    path("people/<int:pk>/<slug:action>/", views.person_action, name="person-action"),
    path("people/<int:pk>/photo-<slug:size>.webp", views.photo, name="photo"),
    path("company/", views.company, name="company"),
    path("company/logo/remove/", views.company_logo_remove, name="company-logo-remove"),
    path("company/<int:pk>/logo-<slug:size>.webp", views.company_logo, name="company-logo"),
    path("company/markets/<int:pk>/delete/", views.market_delete, name="market-delete"),
    path("company/users/", views.users, name="users"),
    path(
        "company/invitations/<int:pk>/<slug:action>/",
        views.invitation_action,
        name="invitation-action",
    ),
    path("join/<str:uidb36>/<str:key>/", views.join, name="join"),
]
