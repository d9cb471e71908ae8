from django.urls import path

from messaging import views

app_name = "messaging"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("new/", views.compose, name="compose"),
    path("trash/empty/", views.trash_empty, name="trash-empty"),
    path("announce/", views.announce, name="announce"),
    path("company/", views.company_settings, name="company-settings"),
    path("email/preference/", views.email_preference, name="email-preference"),
    path(
        "announcements/preference/",
        views.announcements_preference,
        name="announcements-preference",
    ),
    path(
        "announcements/<announcement:pk>/",
        views.announcement_detail,
        name="announcement",
    ),
    path(
        "announcements/<announcement:pk>/delete/",
        views.announcement_delete,
        name="announcement-delete",
    ),
    path("folder/<slug:folder>/", views.inbox, name="folder"),
    path("folder/<slug:folder>/selected/", views.bulk, name="bulk"),
    path("<delivery:pk>/", views.detail, name="detail"),
    path("<delivery:pk>/media/<slug:part>", views.media, name="media"),
    path("<delivery:pk>/<slug:action>/", views.action, name="action"),
]
