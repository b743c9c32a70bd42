from django.apps import AppConfig


class PoseappConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "poseapp"
    verbose_name = "3DPoseNet"
