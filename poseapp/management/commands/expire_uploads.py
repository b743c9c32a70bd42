"""`manage.py expire_uploads`: delete resumable uploads with no chunk for POSENET_UPLOAD_EXPIRY_H hours
(run it hourly: cron, or a periodic task calling poseapp.chunked_upload.expire_stale)."""
from django.core.management.base import BaseCommand

from poseapp.chunked_upload import expire_stale


class Command(BaseCommand):
    help = "Delete unfinished resumable uploads older than POSENET_UPLOAD_EXPIRY_H hours (and their bytes)."

    def handle(self, *args, **options):
        removed = expire_stale()
        self.stdout.write(f"Removed {removed} expired upload(s).")
