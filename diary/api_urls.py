"""Routes under /api/v1/diary/ (included by uc_web/urls.py in the "api" namespace)."""

from django.urls import path

from diary import api

urlpatterns = [
    path("diary/occurrences/", api.OccurrenceListView.as_view(), name="diary-occurrences"),
    path("diary/appointments/", api.AppointmentListView.as_view(), name="diary-appointments"),
    path(
        "diary/appointments/<appointment:pk>/",
        api.AppointmentView.as_view(),
        name="diary-appointment",
    ),
    path(
        "diary/appointments/<appointment:pk>/answer/",
        api.AnswerView.as_view(),
        name="diary-answer",
    ),
    path("diary/freebusy/", api.FreeBusyView.as_view(), name="diary-freebusy"),
    path("diary/import/", api.ImportView.as_view(), name="diary-import"),
    path("diary/feed/", api.FeedView.as_view(), name="diary-feed"),
]
