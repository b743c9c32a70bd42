"""Jobs that failed before error_repeats existed: mark the failures that were the video's own, recognised by
the sentences the pipeline gave them (ml/video.py VideoError, ml/pipeline.py VideoProblem)."""
from django.db import migrations
from django.db.models import Q

VIDEO_OWN = (
    "The uploaded file is empty", "This file is not a video we can read", "No frames could be decoded",
    "This is an image", "No person was found", "A person was found in only", "This video is longer than the",
    "This video has more than",
)


def backfill(apps, schema_editor):
    PoseJob = apps.get_model("poseapp", "PoseJob")
    match = Q()
    for start in VIDEO_OWN:
        match |= Q(error__startswith=start)
    PoseJob.objects.filter(match, status="failed").update(error_repeats=True)


class Migration(migrations.Migration):

    dependencies = [
        ("poseapp", "0007_posejob_error_repeats"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
