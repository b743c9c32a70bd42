"""The web process never imports torch: importing every web module must not pull it in."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_web_modules_do_not_import_torch():
    code = (
        "import os, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'webapp.settings');"
        "import webapp.asgi, webapp.urls, poseapp.views, poseapp.consumers, poseapp.tasks, poseapp.admin;"
        "from django.test import Client; from django.urls import reverse;"
        "assert webapp.asgi.application;"
        "print('torch' in sys.modules, 'mediapipe' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False"]
