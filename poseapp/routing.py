from django.urls import path

from .consumers import JobConsumer
from .live import LiveConsumer

websocket_urlpatterns = [path("ws/jobs/<int:job_id>/", JobConsumer.as_asgi()),
                         path("ws/live/", LiveConsumer.as_asgi())]
