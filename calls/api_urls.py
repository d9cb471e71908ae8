"""Routes under /api/v1/calls/ (included by uc_web/urls.py in the "api" namespace)."""

from django.urls import path

from calls import api

urlpatterns = [
    path("calls/", api.CallListView.as_view(), name="call-list"),
    path("calls/state/", api.CallStateView.as_view(), name="call-state"),
    path("calls/missed-seen/", api.MissedSeenView.as_view(), name="call-missed-seen"),
    path("calls/ice-servers/", api.IceServersView.as_view(), name="call-ice-servers"),
    path("calls/people/", api.CallablePeopleView.as_view(), name="call-people"),
    path("calls/<call:pk>/", api.CallDetailView.as_view(), name="call-detail"),
]
