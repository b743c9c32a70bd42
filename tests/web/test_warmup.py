"""Worker warm-up plumbing (poseapp/warmup.py): signals connected, a pose job that arrives while the
models load waits for them and tells its watchers; nothing waits when no warm-up was started. The
warm-up itself (real models, real worker) is measured by tests/integration/test_first_frame_latency.py."""
import threading
import weakref

import pytest
from celery.signals import task_prerun, worker_process_init, worker_ready

from poseapp import warmup


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(warmup, "_started", False)
    monkeypatch.setattr(warmup, "_done", threading.Event())
    sent = []
    monkeypatch.setattr("poseapp.stream.send", lambda job_id, message: sent.append((job_id, message)))
    return sent


class Task:
    name = warmup.POSE_TASK


def test_signals_are_connected():
    for signal, handler in ((worker_ready, warmup._on_worker_ready),
                            (worker_process_init, warmup._on_worker_process_init),
                            (task_prerun, warmup._on_task_prerun)):
        receivers = [r() if isinstance(r, weakref.ReferenceType) else r for _, r in signal.receivers]
        assert handler in receivers, signal


def test_no_warmup_started_means_no_wait(fresh):
    assert not warmup.warming()
    warmup._on_task_prerun(task=Task(), args=[7])
    warmup.wait()
    assert fresh == []


def test_a_job_waits_for_the_warmup_and_says_so(fresh, monkeypatch):
    monkeypatch.setattr(warmup, "_started", True)
    assert warmup.warming()
    other = threading.Thread(target=warmup._on_task_prerun, kwargs={"task": Task(), "args": [7]})
    other.start()
    other.join(1.5)
    assert other.is_alive()  # still waiting for the models, saying so every second
    assert len(fresh) == 2
    assert set(map(str, fresh)) == {str((7, {"type": "progress", "stage": "decode", "done": 0, "total": 0,
                                              "step": "warmup"}))}
    warmup._done.set()
    other.join(5)
    assert not other.is_alive() and not warmup.warming()


def test_other_tasks_do_not_wait(fresh, monkeypatch):
    monkeypatch.setattr(warmup, "_started", True)
    training = type("T", (), {"name": "poseapp.tasks.run_training_job"})()
    warmup._on_task_prerun(task=training, args=[1])  # returns at once
    assert fresh == []


def test_worker_ready_starts_it_once_unless_disabled(fresh, monkeypatch, settings):
    runs = []
    monkeypatch.setattr(warmup, "_run", lambda: (runs.append(1), warmup._done.set()))
    settings.POSENET_WARMUP = False
    warmup._on_worker_ready(sender=None)
    assert runs == [] and not warmup._started
    settings.POSENET_WARMUP = True
    warmup._on_worker_ready(sender=None)
    warmup._on_worker_process_init()
    warmup._done.wait(5)
    assert runs == [1]
