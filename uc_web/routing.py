from django.urls import path

from uc_web import consumers

websocket_urlpatterns = [
    path("ws/", consumers.ConnectionConsumer.as_asgi()),
]
