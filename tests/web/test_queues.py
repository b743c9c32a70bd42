"""Task names and queues are written once, in poseapp/queues.py (issue 29), and the worker that
`make run` starts listens on every queue a task is routed to."""
import re
from pathlib import Path

from django.conf import settings

from poseapp import queues
from webapp.run import worker_command

ROOT = Path(__file__).resolve().parents[2]


def test_task_names_and_queues_are_written_once():
    pattern = re.compile(r"""["'](poseapp\.(tasks|retention)\.\w+|pose|train)["']""")
    found = {}
    for path in [*ROOT.joinpath("poseapp").rglob("*.py"), *ROOT.joinpath("webapp").rglob("*.py")]:
        if path.name == "queues.py" or "migrations" in path.parts:
            continue
        hits = [m.group(0) for m in pattern.finditer(path.read_text())]
        if hits:
            found[str(path.relative_to(ROOT))] = hits
    assert found == {}, found


def test_the_worker_listens_on_every_routed_queue():
    assert settings.CELERY_TASK_ROUTES == queues.ROUTES
    command = worker_command()
    listened = set(command[command.index("-Q") + 1].split(","))
    assert {route["queue"] for route in queues.ROUTES.values()} == listened
