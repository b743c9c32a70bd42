from django.apps import AppConfig
from django.db.models.signals import post_migrate

DEFAULT_MODEL_NAME = "Shipped default"


def register_default_model(sender, **kwargs):
    """The shipped checkpoint is always in the registry (an empty path means POSENET_CHECKPOINT, else
    ml/weights/lifter_default.pt, on the worker); it is active when nothing else is."""
    from .models import LifterModel

    model, created = LifterModel.objects.get_or_create(
        name=DEFAULT_MODEL_NAME,
        defaults={"checkpoint": "", "metrics": {"note": "see ml/weights/MODEL_CARD.md"}},
    )
    if not LifterModel.objects.filter(is_active=True).exists():
        model.activate()


class PoseappConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "poseapp"
    verbose_name = "3DPoseNet"

    def ready(self):
        post_migrate.connect(register_default_model, sender=self)
