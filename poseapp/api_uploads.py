"""Resumable upload endpoints (docs/api.md, "Large files"); the rules are in poseapp/chunked_upload.py.

    POST   /api/uploads/               JSON {filename, size, options…} → 201 upload (its url, offset 0, chunk_size)
    GET    /api/uploads/<id>/          the upload (offset = bytes received); HEAD: the same as headers
    PATCH  /api/uploads/<id>/          Upload-Offset: <offset>, body: the next ≤ chunk_size bytes → 200 upload
    POST   /api/uploads/<id>/finish/   all bytes there → 201 job (200 if it was already finished)
    DELETE /api/uploads/<id>/          cancel: the bytes are deleted → 204

Authentication and CSRF as the rest of the API (poseapp/api.py `api_view`). Only the owner sees an upload.
"""
import json

from django.http import HttpResponse, JsonResponse

from . import chunked_upload, jobs
from .api import api_view
from .tasks import QueueUnavailable


def _refused(exc: chunked_upload.UploadRefused) -> JsonResponse:
    body = {"error": str(exc)}
    if exc.fields:
        body["fields"] = exc.fields
    if exc.offset is not None:
        body["offset"] = exc.offset
    response = JsonResponse(body, status=exc.status)
    if exc.offset is not None:
        response["Upload-Offset"] = str(exc.offset)
    return response


def _upload_response(upload, status: int = 200) -> HttpResponse:
    body = chunked_upload.status_json(upload)
    response = JsonResponse(body, status=status)
    response["Upload-Offset"] = str(body["offset"])
    response["Upload-Length"] = str(body["size"])
    response["Cache-Control"] = "no-store"  # a resuming client must see the offset now, not a cached one
    if status == 201:
        response["Location"] = body["url"]
    return response


@api_view(["POST"])
def uploads_collection(request):
    if len(request.body) > 64 * 1024:  # the description only; the file's bytes come in PATCHes
        return JsonResponse({"error": "Describe the upload in a small JSON object."}, status=400)
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        return JsonResponse({"error": "Send a JSON object: {\"filename\": …, \"size\": …}."}, status=400)
    try:
        upload = chunked_upload.create(request.user, data)
    except chunked_upload.UploadRefused as exc:
        return _refused(exc)
    return _upload_response(upload, status=201)


@api_view(["GET", "HEAD", "PATCH", "DELETE"])
def upload_item(request, upload_id):
    try:
        upload = chunked_upload.owned_or_refuse(request.user, upload_id)
        if request.method == "PATCH":
            chunked_upload.append(upload, request)
        elif request.method == "DELETE":
            chunked_upload.cancel(upload)
            return HttpResponse(status=204)
    except chunked_upload.UploadRefused as exc:
        return _refused(exc)
    response = _upload_response(upload)
    if request.method == "HEAD":
        response.content = b""
    return response


@api_view(["POST"])
def upload_finish(request, upload_id):
    try:
        upload = chunked_upload.owned_or_refuse(request.user, upload_id)
        job, created = chunked_upload.finish(upload)
    except chunked_upload.UploadRefused as exc:
        return _refused(exc)
    except jobs.UnusableVideo as exc:
        return JsonResponse({"error": str(exc), "fields": {"video": [str(exc)]}}, status=400)
    except QueueUnavailable as exc:  # the job stays queued and is sent once the broker is back (as POST /api/jobs/)
        response = JsonResponse({"error": str(exc), "job": jobs.job_json(exc.job)}, status=503)
        response["Retry-After"] = "60"
        return response
    return JsonResponse(jobs.job_json(job), status=201 if created else 200)
