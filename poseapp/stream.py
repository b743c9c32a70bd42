"""The job stream: messages from the worker to websocket clients (see docs/websocket.md).

Frame chunks are appended to the job's frames.jsonl *and* sent to the job's channel group, so a
client that connects late replays the file and then gets the live tail. The consumer joins the
group before it reads the file, so no chunk falls between the two; a chunk may arrive twice, and
clients de-duplicate by frame index.
"""
import json
import logging
import threading

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


# The protocol, defined here once. docs/websocket.md is checked against these
# (tests/web/test_protocol.py), the viewer reads them from frontend/src/generated/tables.js
# (tools/frontend_tables.py) and its contract test replays the builders' output through its job model.
MESSAGE_TYPES = ("meta", "progress", "frames", "status", "video")
# Pipeline stages in the order they run (ml/pipeline.py: decode, detect, lift; then the task's export).
STAGES = ("decode", "detect", "lift", "export")
STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
TERMINAL_STATUSES = ("succeeded", "failed", "cancelled")


def group_name(job_id: int) -> str:
    return f"job_{job_id}"


def meta_message(job) -> dict:
    from ml.skeleton import JOINT_NAMES, PARENTS  # pure tables, no torch

    return {
        "type": "meta", "job_id": job.pk, "status": job.status, "fps": job.fps,
        "width": job.width, "height": job.height, "frame_count": job.frame_count,
        "joint_names": list(JOINT_NAMES), "parents": list(PARENTS), "model": job.model_label,
        "video_ready": job.playable_video_path.exists(),
        "people_mode": getattr(job, "people_mode", "one"),  # "several": `frames` carry `people`
    }


def progress_message(stage: str, done: int, total: int, step: str | None = None) -> dict:
    """`step`: what the stage is doing now, where it has named steps (export: the format being written)."""
    message = {"type": "progress", "stage": stage, "done": int(done), "total": int(total)}
    if step:
        message["step"] = str(step)
    return message


def frames_message(start: int, kp2d, kp3d, visible=None, cuts=(), provisional: bool = False) -> dict:
    """`visible`: (n,17) bools (False: the joint is off-frame or unsure, its 3D a guess), None = all
    visible; `cuts`: global indices of shot starts within [start, start + n); `provisional`: a first
    look (ml.pipeline's previews), replaced by the final frames for the same indices."""
    if visible is None:  # old callers: every joint visible
        vis = [[1] * len(f) for f in kp3d]
    else:
        vis = [[1 if bool(v) else 0 for v in f] for f in visible]
    return {
        "type": "frames", "start": int(start),
        "kp2d": [[[round(float(v), 1) if k < 2 else round(float(v), 3) for k, v in enumerate(j)] for j in f] for f in kp2d],
        "kp3d": [[[round(float(v), 4) for v in j] for j in f] for f in kp3d],
        "visible": vis,
        "cuts": sorted({int(c) for c in (cuts if cuts is not None else ())}),
        **({"provisional": True} if provisional else {}),
    }


def people_frames_message(start: int, count: int, people, cuts=(), provisional: bool = False) -> dict:
    """Several people: frames [start, start + count); `people` (ml.pipeline_people's on_frames): each
    {"id", "start" (its first frame inside the chunk), "kp2d" (m,17,3), "kp3d" (m,17,3), "visible" (m,17)},
    only for the frames where that person exists."""
    return {
        "type": "frames", "start": int(start), "count": int(count),
        "cuts": sorted({int(c) for c in (cuts if cuts is not None else ())}),
        "people": [{"id": int(q["id"]), "start": int(q["start"]),
                    "kp2d": [[[round(float(v), 1) if k < 2 else round(float(v), 3) for k, v in enumerate(j)] for j in f]
                             for f in q["kp2d"]],
                    "kp3d": [[[round(float(v), 4) for v in j] for j in f] for f in q["kp3d"]],
                    "visible": [[1 if bool(v) else 0 for v in f] for f in q["visible"]]} for q in people],
        **({"provisional": True} if provisional else {}),
    }


def status_message(job) -> dict:
    from .retention import expiry_parts

    # repeats: the failure is the video's, so retrying the same job would fail the same way;
    # expiry: the page's retention sentence, which names a date once the job has ended
    return {"type": "status", "status": job.status, "message": job.error, "model": job.model_label,
            "frame_count": job.frame_count, "repeats": job.error_repeats, "expiry": expiry_parts(job)}


def video_message(job) -> dict:
    """The browser-playable copy of the upload is ready (it is made while the job runs)."""
    from django.urls import reverse

    return {"type": "video", "url": reverse("job-video", args=[job.pk])}


log = logging.getLogger(__name__)


def _live_update_errors() -> tuple[type[BaseException], ...]:
    """What a send raises while the channel layer's Redis is down, restarting or unreachable."""
    errors: list[type[BaseException]] = [OSError, TimeoutError, EOFError]  # ConnectionRefused/Reset are OSErrors
    try:
        import redis.exceptions

        errors += [redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, redis.exceptions.BusyLoadingError]
    except ImportError:  # pragma: no cover - channels_redis needs redis
        pass
    import asyncio

    errors.append(asyncio.TimeoutError)
    return tuple(errors)


LIVE_UPDATE_ERRORS = _live_update_errors()
# One warning per outage, not one per frame: set while sends fail, cleared by the first that works.
_outage = threading.Event()


def send(job_id: int, message: dict) -> bool:
    """Send from synchronous code (the Celery worker) to every client watching the job.

    Live updates are best effort: when the channel layer (Redis) is unreachable the message is
    dropped, logged once per outage, and False is returned; the caller carries on (the job's
    result and frames.jsonl, which late or reconnecting clients replay, are written as usual)."""
    try:
        layer = get_channel_layer()
        async_to_sync(layer.group_send)(group_name(job_id), {"type": "job.message", "message": message})
    except LIVE_UPDATE_ERRORS as exc:
        if not _outage.is_set():
            _outage.set()
            log.warning("live updates unavailable (channel layer unreachable: %s: %s); jobs carry on without them",
                        type(exc).__name__, exc)
        return False
    if _outage.is_set():
        _outage.clear()
        log.warning("live updates are back (channel layer reachable again)")
    return True


def append_frames(job, message: dict) -> None:
    with open(job.frames_log_path, "a", encoding="utf-8") as f:
        f.write(json.dumps(message, separators=(",", ":")) + "\n")
        f.flush()


def write_preview(job, message: dict) -> None:
    """Keep the latest provisional frames for a viewer that connects before the first final ones
    (they are sent live only, never logged: the log holds what replays, the final frames)."""
    part = job.preview_path.with_suffix(".part")
    part.write_text(json.dumps(message, separators=(",", ":")), encoding="utf-8")
    part.replace(job.preview_path)


def read_preview(job) -> dict | None:
    try:
        return json.loads(job.preview_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_frames_log(path) -> list[dict]:
    """All complete chunks written so far (a half-written last line is skipped)."""
    return read_frames_since(path, 0)[0]


def read_frames_since(path, offset: int) -> tuple[list[dict], int]:
    """The complete chunks written after byte `offset`, and the offset after them (to read on
    from there: a growing log is read once, e.g. by the workers drawing a split job's overlay)."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return [], offset
    out = []
    for line in data.split(b"\n")[:-1]:  # what follows the last newline: the writer is mid-line
        try:
            if line:
                out.append(json.loads(line))
        except json.JSONDecodeError:
            break  # a damaged line: what was read before it stands
        offset += len(line) + 1
    return out, offset
