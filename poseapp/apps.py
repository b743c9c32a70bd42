import json
from pathlib import Path

from django.apps import AppConfig
from django.db.models.signals import post_migrate

FALLBACK_MODEL_NAME = "Shipped default"  # only if the shipped summary cannot be read
# Written by `python -m ml.ship` next to the shipped weights: read as JSON, the web process never loads torch.
DEFAULT_SUMMARY = Path(__file__).resolve().parent.parent / "ml" / "weights" / "lifter_default.json"


def shipped_summary() -> dict:
    try:
        return json.loads(DEFAULT_SUMMARY.read_text())
    except (OSError, ValueError):
        return {}


def shipped_model_name() -> str:
    """The shipped model's own name (the one its checkpoint carries, so a job's results say the same)."""
    return str(shipped_summary().get("name") or FALLBACK_MODEL_NAME)[:200]


def register_default_model(sender, **kwargs):
    """The shipped checkpoint is always in the registry (an empty path means POSENET_CHECKPOINT, else
    ml/weights/lifter_default.pt, on the worker), under its own name (issue 33: the upload form said
    "Shipped default" and the results the model's name); it is active when nothing else is."""
    from .models import LifterModel

    info = shipped_summary()
    name = shipped_model_name()
    model = LifterModel.objects.filter(checkpoint="").order_by("pk").first()
    if model is None:
        model = LifterModel.objects.create(name=name, checkpoint="")
    # the shipped file: show what it is (updated when a new one ships)
    model.arch = info.get("arch", "")
    model.metrics = info or {"note": "see ml/weights/MODEL_CARD.md"}
    if model.name != name and not LifterModel.objects.filter(name=name).exists():
        model.name = name
    model.save(update_fields=["name", "arch", "metrics"])
    if not LifterModel.objects.filter(is_active=True).exists():
        model.activate()


def say_signed_out(sender, request=None, **kwargs):
    """The sign-in page the user lands on says that signing out worked."""
    if request is not None:
        from django.contrib import messages

        messages.info(request, "You are signed out.", fail_silently=True)  # a test client or script: no messages


class PoseappConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "poseapp"
    verbose_name = "3DPoseNet"

    def ready(self):
        post_migrate.connect(register_default_model, sender=self)
        from . import retention, sweeper, warmup

        retention.connect()  # files go with their job or video, whatever deletes them

        from django.contrib.auth.signals import user_logged_out

        user_logged_out.connect(say_signed_out, dispatch_uid="poseapp.say_signed_out")
        warmup.connect()  # worker signals only: the models are loaded when a worker starts
        sweeper.connect()  # worker signals only: every worker sweeps for lost and stuck jobs
