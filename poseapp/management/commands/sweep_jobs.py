"""`python manage.py sweep_jobs`: one pass of the sweeper (poseapp/sweeper.py) by hand, e.g. while no
worker is up, or from cron on a host that runs none; every worker already runs it on a timer."""
from django.core.management.base import BaseCommand

from poseapp import sweeper


class Command(BaseCommand):
    help = "Run again or fail running jobs whose worker stopped; send again queued jobs whose message is gone."

    def handle(self, *args, **options):
        done = sweeper.sweep()
        self.stdout.write(f"re-queued {done['rerun']}, failed {done['failed']}, sent again {done['resent']}")
