from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from poseapp import retention


class Command(BaseCommand):
    help = ("Delete jobs that ended more than POSENET_RETENTION_DAYS ago (with their files), and orphan "
            "files in the media folder (uploads and results that no job or video points to).")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="print what would be deleted; delete nothing")
        parser.add_argument("--orphan-min-age-hours", type=float, default=retention.ORPHAN_GRACE.total_seconds() / 3600,
                            help="leave orphan files younger than this alone (an upload being saved; default 24)")

    def handle(self, *args, dry_run=False, orphan_min_age_hours=24.0, **options):
        if orphan_min_age_hours < 0:
            raise CommandError("--orphan-min-age-hours must be 0 or more.")
        days = settings.POSENET_RETENTION_DAYS
        self.stdout.write(f"Retention: {days} days after a job ended." if days else
                          "Retention: POSENET_RETENTION_DAYS=0, jobs are kept forever (orphans are still removed).")
        report = retention.cleanup(dry_run=dry_run, grace=timedelta(hours=orphan_min_age_hours))
        for line in report.lines(dry_run):
            self.stdout.write(line)
