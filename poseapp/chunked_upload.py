"""Resumable chunked uploads (docs/api.md, "Large files"): the bytes go straight to a file on disk,
one bounded request at a time, so no upload ever sits whole in the web server's memory.

Why chunks: daphne reads a request's whole body into memory before the application sees it (it queues
the body as `http.request` messages), so the only way to bound the memory of a 500 MB upload is to keep
every request small. Each PATCH carries at most POSENET_UPLOAD_CHUNK_MB; its Content-Length is checked
before a byte is read, and the total can never pass the length declared when the upload was created
(which is itself checked against POSENET_MAX_UPLOAD_MB). A client that lost its connection asks the
offset (GET/HEAD) and sends the rest. When every byte is there, `finish` hands the file to the same
checks and job creation as a one-request upload (jobs.create_from_upload); the file is moved, not
copied. Unfinished uploads expire POSENET_UPLOAD_EXPIRY_H hours after their last chunk
(`expire_stale`, run by `manage.py expire_uploads` or a periodic task)."""
from __future__ import annotations

import contextlib
import fcntl
from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from .forms import UploadForm
from .models import ChunkedUpload, LifterModel, PoseJob
from .tasks import QueueUnavailable

READ_PIECE = 1024 * 1024  # bytes copied from the request to the file at a time


class UploadRefused(Exception):
    """The request cannot be served; `status` is the HTTP status, str(exc) the sentence for people,
    `fields` the form errors (if any) and `offset` the upload's current offset (if it matters)."""

    def __init__(self, status: int, message: str, fields: dict | None = None, offset: int | None = None):
        super().__init__(message)
        self.status, self.fields, self.offset = status, fields, offset


def max_upload_bytes() -> int:
    return settings.POSENET_MAX_UPLOAD_MB * 1024 * 1024


def chunk_bytes() -> int:
    return settings.POSENET_UPLOAD_CHUNK_MB * 1024 * 1024


def too_large_sentence() -> str:
    return (f"This file is larger than the {settings.POSENET_MAX_UPLOAD_MB} MB limit. "
            "Please upload a shorter or more compressed video.")


class UploadOptionsForm(UploadForm):
    """The one-request upload form's options (model, smoothing, detector, height) without the file:
    the same fields, choices and sentences."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["video"]


def check_quota(user, size_bytes: int) -> None:
    """The per-user limits (poseapp/quotas.py) with the declared size, before any byte is sent."""
    from . import quotas

    try:
        quotas.check_can_submit(user, size_bytes)
    except quotas.QuotaExceeded as exc:
        raise UploadRefused(exc.status, str(exc)) from None


def create(user, data: dict) -> ChunkedUpload:
    """Start an upload from {filename, size, smoothing?, complexity?, lifter?, height_m?, people?}."""
    filename = str(data.get("filename") or "").strip()
    if not filename:
        raise UploadRefused(400, "Send the file's name as 'filename'.", {"filename": ["This field is required."]})
    size = data.get("size")
    if isinstance(size, bool) or not isinstance(size, int):
        raise UploadRefused(400, "Send the file's size in bytes as 'size' (a whole number).",
                            {"size": ["Enter a whole number."]})
    if size <= 0:
        raise UploadRefused(400, "This file is empty (0 bytes). Please choose the video again.",
                            {"video": ["This file is empty (0 bytes). Please choose the video again."]})
    if size > max_upload_bytes():
        raise UploadRefused(413, too_large_sentence(), {"video": [too_large_sentence()]})
    options = {k: data[k] for k in ("lifter", "smoothing", "complexity", "height_m", "people") if data.get(k) not in (None, "")}
    form = UploadOptionsForm(options)
    if not form.is_valid():
        raise UploadRefused(400, "The upload was rejected.", {k: list(v) for k, v in form.errors.items()})
    check_quota(user, size)
    lifter = form.cleaned_data.get("lifter")
    upload = ChunkedUpload.objects.create(
        owner=user, filename=filename[:255], size_bytes=size,
        options={"lifter": lifter.pk if lifter else None, "smoothing": form.cleaned_data["smoothing"],
                 "complexity": form.cleaned_data["complexity"], "height_m": form.cleaned_data.get("height_m"),
                 "people": form.cleaned_data["people"]})
    upload.part_path.parent.mkdir(parents=True, exist_ok=True)
    upload.part_path.touch()
    return upload


def expires_at(upload: ChunkedUpload):
    return upload.updated_at + timedelta(hours=settings.POSENET_UPLOAD_EXPIRY_H)


def owned_or_refuse(user, upload_id) -> ChunkedUpload:
    """The user's own unexpired upload; another user's is 'not found' (its existence is not revealed)."""
    upload = ChunkedUpload.objects.filter(pk=upload_id, owner=user).first()
    if upload is None:
        raise UploadRefused(404, "No such upload.")
    if upload.job_id is None and expires_at(upload) <= timezone.now():
        upload.delete()
        raise UploadRefused(410, f"This upload was not finished within {settings.POSENET_UPLOAD_EXPIRY_H} hours "
                                 "and has expired. Please start it again.")
    return upload


@contextlib.contextmanager
def _locked_part(upload: ChunkedUpload):
    """The part file opened for appending, held by one request at a time (across processes too)."""
    if upload.job_id is not None:
        raise UploadRefused(409, "This upload is already complete.", offset=upload.size_bytes)
    if not upload.part_path.exists():  # its bytes were removed behind our back: nothing to resume
        upload.delete()
        raise UploadRefused(410, "This upload's data is gone. Please start it again.")
    with open(upload.part_path, "r+b") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UploadRefused(409, "Another request is writing to this upload; ask its offset and try again.",
                                offset=upload.received_bytes) from None
        try:
            yield f
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def append(upload: ChunkedUpload, request) -> int:
    """Append the request's body at its Upload-Offset; returns the new offset. Never reads more than the
    chunk limit or than the declared size allows (both checked from Content-Length before reading)."""
    try:
        claimed = int(request.headers.get("Upload-Offset", ""))
    except ValueError:
        raise UploadRefused(400, "Send the chunk's position in the file as the Upload-Offset header.") from None
    try:
        length = int(request.headers.get("Content-Length", ""))
    except ValueError:
        length = -1
    if length < 0:
        raise UploadRefused(411, "Send the chunk's size as the Content-Length header.")
    if length > chunk_bytes():
        raise UploadRefused(413, f"A chunk may be at most {settings.POSENET_UPLOAD_CHUNK_MB} MB; "
                                 "send the file in smaller pieces.")
    with _locked_part(upload) as f:
        offset = f.seek(0, 2)  # the file on disk is the truth, whatever an earlier request managed to write
        if claimed != offset:
            raise UploadRefused(409, f"This upload has {offset} bytes; send the chunk that starts there.",
                                offset=offset)
        if offset + length > upload.size_bytes:
            raise UploadRefused(413, f"This chunk would take the upload past the {upload.size_bytes} bytes "
                                     "declared when it was created.", offset=offset)
        remaining = length
        while remaining:
            piece = request.read(min(READ_PIECE, remaining))
            if not piece:
                break  # the body was shorter than announced: keep what came, the client resumes from there
            f.write(piece)
            remaining -= len(piece)
        f.flush()
        offset = f.tell()
    upload.received_bytes, upload.updated_at = offset, timezone.now()  # a chunk pushes the expiry back
    ChunkedUpload.objects.filter(pk=upload.pk).update(received_bytes=offset, updated_at=upload.updated_at)
    return offset


class _AssembledFile(UploadedFile):
    """The finished part file, presented as an upload on disk: Django's storage then moves it into
    place (as it does a TemporaryUploadedFile) instead of copying it."""

    def __init__(self, upload: ChunkedUpload):
        super().__init__(open(upload.part_path, "rb"), name=upload.filename, size=upload.size_bytes)
        self.path = upload.part_path

    def temporary_file_path(self):
        return str(self.path)


def finish(upload: ChunkedUpload) -> tuple[PoseJob, bool]:
    """Turn a complete upload into a job (the same checks as a one-request API upload: an unusable file
    raises jobs.UnusableVideo and keeps nothing). Returns (job, created); finishing twice gives the same job."""
    from . import jobs, quotas

    if upload.job_id is not None:
        return upload.job, False
    with _locked_part(upload) as f:
        received = f.seek(0, 2)
        if received != upload.size_bytes:
            raise UploadRefused(409, f"This upload has {received} of its {upload.size_bytes} bytes; send the rest "
                                     "first.", offset=received)
        options = upload.options
        lifter = LifterModel.objects.filter(pk=options.get("lifter")).first() if options.get("lifter") else None
        assembled = _AssembledFile(upload)
        try:
            job = jobs.create_from_upload(upload.owner, assembled, lifter, options.get("smoothing", "light"),
                                          options.get("complexity", 1), options.get("height_m"),
                                          reject_unusable=True, people_mode=options.get("people", "one"))
        except jobs.UnusableVideo:
            upload.delete()  # the bytes were refused: the upload is over
            raise
        except QueueUnavailable as exc:  # the job exists, queued; the sweeper sends it once Redis is back
            _link(upload, exc.job, received)  # finishing again (or GET) gives the client the job
            raise
        except quotas.QuotaExceeded as exc:  # e.g. the video's decoded work, known only from the file
            upload.delete()
            raise UploadRefused(exc.status, str(exc)) from None
        finally:
            assembled.close()
    _link(upload, job, received)
    return job, True


def _link(upload: ChunkedUpload, job: PoseJob, received: int) -> None:
    ChunkedUpload.objects.filter(pk=upload.pk).update(job=job, received_bytes=received)
    upload.job = job


def cancel(upload: ChunkedUpload) -> None:
    upload.delete()  # the part file goes with it (models.remove_chunked_upload_part)


def expire_stale(now=None) -> int:
    """Delete unfinished uploads with no chunk for POSENET_UPLOAD_EXPIRY_H hours (their part files go
    with them), and the records of finished ones as old (their jobs stay). Returns how many were removed."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.POSENET_UPLOAD_EXPIRY_H)
    removed = 0
    for upload in ChunkedUpload.objects.filter(updated_at__lt=cutoff).iterator():
        upload.delete()
        removed += 1
    return removed


def current_offset(upload: ChunkedUpload) -> int:
    """How many bytes are on disk (the truth a resuming client needs); the size once finished."""
    if upload.job_id is not None:
        return upload.size_bytes
    try:
        return upload.part_path.stat().st_size
    except FileNotFoundError:
        return 0


def status_json(upload: ChunkedUpload) -> dict:
    from django.urls import reverse

    offset = current_offset(upload)
    return {"id": str(upload.pk), "url": reverse("api-upload", args=[upload.pk]),
            "finish_url": reverse("api-upload-finish", args=[upload.pk]),
            "filename": upload.filename, "size": upload.size_bytes, "offset": offset,
            "chunk_size": chunk_bytes(), "expires_at": expires_at(upload).isoformat(),
            "complete": offset == upload.size_bytes, "job": upload.job_id}
