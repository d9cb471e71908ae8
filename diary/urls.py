from django.urls import path

from diary import views

app_name = "diary"

urlpatterns = [
    path("", views.calendar, name="calendar"),
    path("new/", views.appointment_new, name="new"),
    path("<appointment:pk>/edit/", views.appointment_edit, name="edit"),
    path("<appointment:pk>/delete/", views.appointment_delete, name="delete"),
    path("<appointment:pk>/answer/", views.appointment_answer, name="answer"),
    path("<appointment:pk>.ics", views.appointment_ics, name="ics"),
    path("export.ics", views.export, name="export"),
    path("import/", views.import_file, name="import"),
    path("feed/", views.feed, name="feed-settings"),
    path("feed/<str:token>.ics", views.feed_ics, name="feed"),
]
