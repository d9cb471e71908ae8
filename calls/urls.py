from django.urls import path

from calls import views

app_name = "calls"

urlpatterns = [
    path("", views.call_log, name="log"),
    path("voicemail/", views.voicemail_settings, name="voicemail-settings"),
    path("voicemail/greeting/", views.greeting_upload, name="greeting-upload"),
    path("voicemail/greeting/delete/", views.greeting_delete, name="greeting-delete"),
    path("voicemail/greeting/<slug:part>", views.greeting_media, name="greeting"),
]
