"""`make run` (webapp.run) serves this machine with DEBUG off: the app's own error pages, never Django's
debug pages or a traceback; plain http, so no HTTPS redirect and no secure-only cookies."""
import os
import subprocess
import sys
from pathlib import Path

from webapp import run

ROOT = Path(__file__).resolve().parents[2]


def test_debug_off_with_a_kept_secret_key(tmp_path, monkeypatch):
    monkeypatch.setenv("POSENET_VAR_DIR", str(tmp_path))
    env = run.local_site_env({"PATH": "/bin"})
    assert env["DJANGO_DEBUG"] == "false" and env["POSENET_LOCAL_HTTP"] == "true"
    key = (tmp_path / "secret_key").read_text()
    assert env["DJANGO_SECRET_KEY"] == key and len(key) >= 50
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    assert run.local_site_env({})["DJANGO_SECRET_KEY"] == key  # the same after a restart: sessions survive
    assert run.local_site_env({"DJANGO_DEBUG": "true"}) == {"DJANGO_DEBUG": "true"}  # asked for: left alone


def test_the_settings_it_gives_serve_plain_http_without_debug(tmp_path):
    mine = {k: v for k, v in os.environ.items() if k not in ("DJANGO_DEBUG", "DJANGO_SECRET_KEY")}
    env = run.local_site_env({**mine, "POSENET_VAR_DIR": str(tmp_path)})
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
            "s.SECURE_HSTS_SECONDS, s.WHITENOISE_USE_FINDERS)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={**env, "DJANGO_SETTINGS_MODULE": "webapp.settings"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False", "False", "False", "0", "True"]
