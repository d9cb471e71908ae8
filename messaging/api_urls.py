"""Routes under /api/v1/messages/ (included by uc_web/urls.py in the "api" namespace)."""

from django.urls import path

from messaging import api

urlpatterns = [
    path("messages/", api.MessageListView.as_view(), name="message-list"),
    path("messages/folders/", api.FoldersView.as_view(), name="message-folders"),
    path("messages/recipients/", api.RecipientsView.as_view(), name="message-recipients"),
    path("messages/recordings/", api.RecordingUploadView.as_view(), name="message-recordings"),
    path(
        "messages/announcements/",
        api.AnnouncementListView.as_view(),
        name="announcement-list",
    ),
    path(
        "messages/announcements/<announcement:pk>/",
        api.AnnouncementDetailView.as_view(),
        name="announcement-detail",
    ),
    path(
        "messages/announcements/<announcement:pk>/read/",
        api.AnnouncementReadView.as_view(),
        name="announcement-read",
    ),
    path("messages/trash/empty/", api.TrashEmptyView.as_view(), name="message-trash-empty"),
    path("messages/<delivery:pk>/", api.MessageDetailView.as_view(), name="message-detail"),
    path("messages/<delivery:pk>/<slug:mark>/", api.MessageMarkView.as_view(), name="message-mark"),
]
