# The Celery app is imported lazily by the worker (`celery -A webapp.celery`) and by task senders;
# importing it here is the Celery convention so `shared_task` binds to our app.
from .celery import app as celery_app

__all__ = ["celery_app"]
