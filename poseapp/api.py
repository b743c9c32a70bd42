"""JSON API (docs/api.md): session or `Authorization: Token <key>` authentication.

    POST /api/jobs/                     upload (multipart: video, optional smoothing, complexity, lifter, height_m, people) → 201 job
    GET  /api/jobs/                     your jobs
    GET  /api/jobs/<id>/                one job's status
    DELETE /api/jobs/<id>/              delete a job and its files (cancelled first if it runs)
    GET  /api/jobs/<id>/result/<fmt>    json | csv | npz | bvh | glb | mp4
    POST /api/jobs/<id>/cancel/         cancel a queued or running job
    POST /api/jobs/<id>/retry/          a new job from a failed or cancelled job's upload
"""
from functools import wraps

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import jobs, quotas, ratelimit
from .forms import UploadForm
from .models import ApiToken, PoseJob
from .tasks import QueueUnavailable


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def api_view(methods):
    """Authenticate by token (no CSRF: not a browser session) or by session (CSRF enforced on writes)."""
    def decorate(view):
        @csrf_exempt
        @require_http_methods(methods)
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            header = request.headers.get("Authorization", "")
            if header.startswith("Token "):
                ip, presented = ratelimit.client_ip(request), header[6:].strip()
                refusal = ratelimit.token_refusal(presented, ip)
                if refusal:
                    response = _error(429, refusal)
                    response["Retry-After"] = str(settings.POSENET_LOGIN_WINDOW_S)
                    return response
                user = ApiToken.user_for(presented)
                if user is None:
                    ratelimit.record_token_failure(presented, ip)
                    return _error(401, "Invalid API token.")
                request.user = user
            elif not request.user.is_authenticated:
                return _error(401, "Sign in, or send 'Authorization: Token <key>' (see /account/token/).")
            elif request.method not in ("GET", "HEAD", "OPTIONS"):
                if CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {}) is not None:
                    return _error(403, "CSRF check failed: send the csrftoken cookie's value as X-CSRFToken.")
            return view(request, *args, **kwargs)
        return wrapper
    return decorate


def _visible(request, job_id):
    job = PoseJob.objects.select_related("video", "lifter").filter(pk=job_id).first()
    if job is None or not job.visible_to(request.user):
        return None
    return job


@api_view(["GET", "POST"])
def jobs_collection(request):
    if request.method == "GET":
        own = PoseJob.objects.filter(owner=request.user).select_related("video", "lifter")[:200]
        return JsonResponse({"jobs": [jobs.job_json(j) for j in own]})
    form = UploadForm(request.POST, request.FILES, too_large=getattr(request, "upload_too_large", False))
    if not form.is_valid():
        return JsonResponse({"error": "The upload was rejected.", "fields": {k: list(v) for k, v in form.errors.items()}},
                            status=400)
    try:
        job = jobs.create_from_upload(request.user, form.cleaned_data["video"], form.cleaned_data.get("lifter"),
                                      form.cleaned_data["smoothing"], form.cleaned_data["complexity"],
                                      form.cleaned_data.get("height_m"), reject_unusable=True,
                                      people_mode=form.cleaned_data["people"])
    except jobs.UnusableVideo as exc:
        return JsonResponse({"error": str(exc), "fields": {"video": [str(exc)]}}, status=400)
    except quotas.QuotaExceeded as exc:  # fair use (429: wait for your jobs; 413: too much): nothing kept
        return JsonResponse({"error": str(exc), "code": exc.code, "fields": {"video": [str(exc)]}}, status=exc.status)
    except QueueUnavailable as exc:  # the broker is down: the job stays queued and is sent once it is back
        response = JsonResponse({"error": str(exc), "job": jobs.job_json(exc.job)}, status=503)
        response["Retry-After"] = "60"
        return response
    return JsonResponse(jobs.job_json(job), status=201)


@api_view(["GET", "DELETE"])
def job_item(request, job_id: int):
    job = _visible(request, job_id)
    if job is None:
        return _error(404, "No such job.")
    if request.method == "DELETE":
        jobs.delete(job)  # as the job page's Delete: a running job is cancelled, its upload and results go
        return HttpResponse(status=204)
    return JsonResponse(jobs.job_json(job))


@api_view(["GET"])
def job_result(request, job_id: int, fmt: str):
    job = _visible(request, job_id)
    if job is None:
        return _error(404, "No such job.")
    if job.status != PoseJob.Status.SUCCEEDED:
        return _error(409, f"The job is {job.status}; results exist once it has succeeded.")
    if fmt not in jobs.DOWNLOADS:
        return _error(404, f"Unknown format {fmt!r}; use one of {', '.join(jobs.DOWNLOADS)}.")
    return jobs.download_response(job, fmt)


@api_view(["POST"])
def job_cancel(request, job_id: int):
    job = _visible(request, job_id)
    if job is None:
        return _error(404, "No such job.")
    if not jobs.cancel(job):
        return _error(409, f"The job is already {job.status}.")
    job.refresh_from_db()
    return JsonResponse(jobs.job_json(job))


@api_view(["POST"])
def job_retry(request, job_id: int):
    job = _visible(request, job_id)
    if job is None:
        return _error(404, "No such job.")
    try:
        new = jobs.retry(job)
    except quotas.QuotaExceeded as exc:
        return JsonResponse({"error": str(exc), "code": exc.code}, status=exc.status)
    except QueueUnavailable as exc:  # the new job stays queued and is sent once the broker is back
        response = JsonResponse({"error": str(exc), "job": jobs.job_json(exc.job)}, status=503)
        response["Retry-After"] = "60"
        return response
    if new is None:
        return _error(409, jobs.retry_refusal(job))
    return JsonResponse(jobs.job_json(new), status=201)
