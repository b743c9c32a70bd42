"""`manage.py ensure_admin` (make run): an admin with a random password, kept in a file only the user can
read, never printed (issue 33: `make run` wrote it into the log)."""
import io
import stat

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command


@pytest.mark.django_db
def test_the_admin_password_goes_to_a_private_file_not_the_output(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    note = tmp_path / "admin-password.txt"
    user, password = note.read_text().strip().split(" / ")
    assert user == "admin" and get_user_model().objects.get(username="admin").check_password(password)
    assert password not in out.getvalue() and str(note) in out.getvalue()
    assert stat.S_IMODE(note.stat().st_mode) == 0o600
    again = io.StringIO()
    call_command("ensure_admin", stdout=again)
    assert "already exists" in again.getvalue() and password not in again.getvalue()
