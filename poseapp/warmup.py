"""Worker warm-up: load the 2D detectors (MediaPipe; MoveNet MultiPose for several people) and the default lifter when a worker process
starts, so that the first job after start-up does not spend its first seconds importing torch and
MediaPipe, building MediaPipe's graph and loading the checkpoint.

The warm-up runs in a background thread started by the worker's `worker_ready` signal (solo pool,
as webapp.run starts it: the process that runs the tasks) or `worker_process_init` (prefork
children); `connect()` (called from PoseappConfig.ready) hooks them up. A pose job that arrives while
it runs waits for it in `task_prerun` (still queued, so the stale rule does not apply), telling its
watchers with a progress message {stage: "decode", step: "warmup"} ("Loading the models…"), rather
than loading the same models a second time alongside it. POSENET_WARMUP=false turns it off.
Nothing here runs in the web process: the signals fire only in a Celery worker.
"""
from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger(__name__)

STEP = "warmup"  # the progress step of the decode stage while a job waits for the warm-up

_lock = threading.Lock()
_started = False
_done = threading.Event()
seconds: float | None = None  # how long the warm-up took, once it has finished
error: str = ""  # why it failed, if it did (the job then loads what it needs itself)


def default_model():
    from .models import LifterModel

    try:
        return LifterModel.active()
    except Exception:  # noqa: BLE001 - no database yet (e.g. before migrate): the shipped default
        log.warning("warm-up: cannot read the active model; warming the shipped default", exc_info=True)
        return None


def default_checkpoint(model=None) -> str | None:
    """The checkpoint new jobs use: the active registered model's, else POSENET_CHECKPOINT, else None
    (the shipped default); as tasks.checkpoint_path resolves a job's."""
    from pathlib import Path

    from django.conf import settings

    if model is not None and model.checkpoint:
        path = Path(model.checkpoint)
        return str(path if path.is_absolute() else Path(settings.BASE_DIR) / path)
    return settings.POSENET_CHECKPOINT or None


def warm(checkpoint: str | None = None, complexity: int | None = None, model_id: int | None = None) -> float:
    """Load and run once everything a pose job needs; returns the seconds it took."""
    t0 = time.perf_counter()
    import numpy as np

    from django.conf import settings

    from ml.lift import canonical_view, CANONICAL_SIDE
    from ml.pipeline import PipelineOptions, detect_processes, detector_pair, load_lifter
    import ml.postprocess  # noqa: F401 - the world alignment (SciPy) that the lifting thread imports
    import ml.export  # noqa: F401

    options = PipelineOptions(detect_processes=settings.POSENET_DETECT_PROCESSES)
    complexity = options.complexity if complexity is None else complexity
    for detector in detector_pair(options.detector, complexity):  # kept: the job finds them loaded
        detector(np.zeros((720, 1280, 3), np.uint8))  # starts the graph: its models are loaded
    try:  # several people: MoveNet MultiPose, kept for the jobs that ask for it (ml.pipeline_people)
        from ml.pipeline_people import multi_detector

        multi_detector(options.people_input_size, options.people_threads)(np.zeros((576, 768, 3), np.uint8))
    except ValueError as exc:  # e.g. onnxruntime missing: one-person jobs do not need it
        log.warning("warm-up: no multi-person detector (%s)", exc)
    processes = detect_processes(options)
    if processes > 1:
        from ml.detect_pool import get_pool

        get_pool(processes).warm(options.detector, complexity)
    lifter = load_lifter(checkpoint, settings.POSENET_LIFTER_DEVICE)  # cached per process: the job finds it loaded
    if model_id is not None and lifter.meta.get("arch"):  # the registry shows what the file is
        from .models import LifterModel

        LifterModel.objects.filter(pk=model_id, arch="").update(arch=str(lifter.meta["arch"])[:40])
    if options.torch_threads:
        import torch

        torch.set_num_threads(options.torch_threads)  # as the pipeline does, so the warm call is the real one
    fps = 25.0
    F = lifter.window_frames(fps)
    rng = np.random.default_rng(0)
    window = np.concatenate([rng.uniform(300, 700, (F, 17, 2)), np.ones((F, 17, 1))], -1).astype(np.float32)
    for _ in range(2):  # torch's first calls are slower than the rest
        lifter.lift_window(canonical_view(window, 1280, 720), CANONICAL_SIDE, CANONICAL_SIDE,
                           conf=window[..., 2], flip=options.flip, fps=fps)
    return time.perf_counter() - t0


def _run() -> None:
    global seconds, error
    try:
        model = default_model()
        seconds = warm(default_checkpoint(model), model_id=model.pk if model and model.checkpoint else None)
        log.info("Models warmed in %.1f s (MediaPipe and the default lifter are loaded).", seconds)
    except Exception as exc:  # noqa: BLE001 - a job loads what it needs anyway and reports its own errors
        error = str(exc)
        log.warning("warm-up failed (jobs load the models themselves): %s", exc, exc_info=True)
    finally:
        _done.set()


def start() -> bool:
    """Start the warm-up in a background thread, once per process; False if it was already started."""
    global _started
    with _lock:
        if _started:
            return False
        _started = True
    threading.Thread(target=_run, name="posenet-warmup", daemon=True).start()
    return True


def warming() -> bool:
    """True while a started warm-up has not finished."""
    return _started and not _done.is_set()


def wait(tick=None, interval: float = 1.0) -> None:
    """Block until a started warm-up has finished (at once when none was started); `tick()` is
    called every `interval` seconds meanwhile (heartbeat; it may raise to give up waiting)."""
    while warming():
        if _done.wait(interval):
            return
        if tick is not None:
            tick()


from .queues import POSE_TASK  # noqa: E402 (the task whose start waits for the warm-up)


def _on_worker_ready(sender=None, **kwargs) -> None:
    from django.conf import settings

    # prefork: the parent runs no tasks; its children warm themselves (worker_process_init).
    if settings.POSENET_WARMUP and "prefork" not in type(getattr(sender, "pool", None)).__module__:
        start()


def _on_worker_process_init(**kwargs) -> None:
    from django.conf import settings

    if settings.POSENET_WARMUP:
        start()


def _on_task_prerun(sender=None, task_id=None, task=None, args=None, kwargs=None, **_) -> None:
    """A pose job that a just-started worker receives waits here for the models, and says so."""
    if not warming() or getattr(task, "name", None) != POSE_TASK:
        return
    job_id = args[0] if args else (kwargs or {}).get("job_id")

    def tell() -> None:  # again every second: a page that connects later (after its upload) sees it too
        if job_id is None:
            return
        from . import stream

        try:
            stream.send(job_id, {**stream.progress_message("decode", 0, 0), "step": STEP})
        except Exception:  # noqa: BLE001 - a message lost is no reason not to run the job
            log.warning("warm-up: cannot tell job %s's watchers", job_id, exc_info=True)

    tell()
    wait(tick=tell)


def connect() -> None:
    from celery.signals import task_prerun, worker_process_init, worker_ready

    worker_ready.connect(_on_worker_ready, weak=False, dispatch_uid="posenet-warmup-ready")
    worker_process_init.connect(_on_worker_process_init, weak=False, dispatch_uid="posenet-warmup-init")
    task_prerun.connect(_on_task_prerun, weak=False, dispatch_uid="posenet-warmup-prerun")
