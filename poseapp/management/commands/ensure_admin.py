import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("Create an 'admin' superuser with a random password if no superuser exists; the password goes "
            "to VAR_DIR/admin-password.txt (readable by you only), never to the output (a log).")

    def handle(self, *args, **options):
        User = get_user_model()
        note = settings.VAR_DIR / "admin-password.txt"
        if User.objects.filter(is_superuser=True).exists():
            where = f" (first password saved in {note})" if note.exists() else ""
            self.stdout.write(f"An admin account already exists{where}.")
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser("admin", "", password)
        note.parent.mkdir(parents=True, exist_ok=True)
        note.write_text(f"admin / {password}\n")
        note.chmod(0o600)
        self.stdout.write(self.style.SUCCESS(f"Created the admin account 'admin'; its password is in {note}"))
