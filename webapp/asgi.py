"""ASGI entry point: HTTP through Django (bodies over their limit refused unread, webapp/body_limit.py),
websockets through Channels (session-authenticated), and the live lifter's channel for its worker
process (`python manage.py runworker live-lift`, poseapp/live_lifter.py)."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
django_asgi_app = get_asgi_application()  # must run before importing anything that touches models

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ChannelNameRouter, ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from poseapp.live_lifter import LiveLiftConsumer  # noqa: E402 (torch only once a session starts)
from poseapp.queues import LIVE_CHANNEL  # noqa: E402
from poseapp.routing import websocket_urlpatterns  # noqa: E402
from webapp.body_limit import BodyLimit  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": BodyLimit(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
        "channel": ChannelNameRouter({LIVE_CHANNEL: LiveLiftConsumer.as_asgi()}),
    }
)
