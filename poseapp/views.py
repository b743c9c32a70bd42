import json

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from . import docs_page, fair_queue, jobs, quotas, retention
from .apps import shipped_model_name
from .forms import RateLimitedAuthenticationForm, SignUpForm, UploadForm
from .models import ApiToken, PoseJob
from .tasks import QueueUnavailable
from .video_response import ranged_file_response


def visible_job_or_404(request, job_id: int) -> PoseJob:
    job = get_object_or_404(PoseJob.objects.select_related("video", "lifter"), pk=job_id)
    if not job.visible_to(request.user):
        raise Http404("No such job")  # 404, not 403: do not reveal that the job exists
    return job


@login_required
@require_http_methods(["GET", "POST"])
def home(request):
    posted = request.method == "POST"
    form = UploadForm(request.POST if posted else None, request.FILES if posted else None,
                      too_large=getattr(request, "upload_too_large", False))
    status = 400 if form.errors else 200
    if request.method == "POST" and form.is_valid():
        try:
            job = jobs.create_from_upload(request.user, form.cleaned_data["video"], form.cleaned_data.get("lifter"),
                                          form.cleaned_data["smoothing"], form.cleaned_data["complexity"],
                                          form.cleaned_data.get("height_m"), people_mode=form.cleaned_data["people"])
        except QueueUnavailable as exc:  # the job stays queued (listed below); the sweeper sends it later
            messages.error(request, str(exc))
            status = 503
        except quotas.QuotaExceeded as exc:  # fair use: nothing was kept; the form says why
            form.add_error("video", str(exc))
            status = exc.status
        else:
            return redirect(job)
    own = PoseJob.objects.filter(owner=request.user).select_related("video")[:50]
    response = render(request, "poseapp/home.html", {"form": form, "jobs": own}, status=status)
    if status == 503:
        response["Retry-After"] = "60"
    return response


@login_required
def job_detail(request, job_id: int):
    job = visible_job_or_404(request, job_id)
    return render(request, "poseapp/job.html", {"job": job, "downloads": json.dumps(jobs.download_urls(job)),
                                                "queue": fair_queue.queue_info(job),
                                                "expiry": retention.expiry_text(job),
                                                "shipped_model_name": shipped_model_name()})


@login_required
def job_status(request, job_id: int):
    return JsonResponse(jobs.job_json(visible_job_or_404(request, job_id)))


@login_required
def job_download(request, job_id: int, fmt: str):
    return jobs.download_response(visible_job_or_404(request, job_id), fmt)


@login_required
def job_result(request, job_id: int):
    return jobs.download_response(visible_job_or_404(request, job_id), "json")


@login_required
def job_video(request, job_id: int):
    job = visible_job_or_404(request, job_id)
    if not job.playable_video_path.exists():
        raise Http404("The browser copy of this video is not ready yet")
    return ranged_file_response(request, job.playable_video_path, "video/mp4")


@login_required
@require_POST
def job_cancel(request, job_id: int):
    job = visible_job_or_404(request, job_id)
    if jobs.cancel(job):
        messages.info(request, "The job was cancelled.")
    return redirect(job)


@login_required
@require_POST
def job_retry(request, job_id: int):
    job = visible_job_or_404(request, job_id)
    try:
        new = jobs.retry(job)
    except quotas.QuotaExceeded as exc:
        messages.error(request, str(exc))
        return redirect(job)
    except QueueUnavailable as exc:  # the new job is queued; the sweeper sends it once the broker is back
        messages.error(request, str(exc))
        return redirect(exc.job)
    if new is None:
        messages.error(request, jobs.retry_refusal(job))
        return redirect(job)
    return redirect(new)


@login_required
@require_POST
def job_delete(request, job_id: int):
    job = visible_job_or_404(request, job_id)
    name = job.video.original_name
    jobs.delete(job)
    messages.info(request, f"The job for {name} and its files were deleted.")
    return redirect("home")


@login_required
@require_http_methods(["GET", "POST"])
def api_token(request):
    token = ApiToken.objects.filter(user=request.user).first()
    if request.method == "POST":
        replaced = token is not None
        if token:
            token.delete()
        token = ApiToken.objects.create(user=request.user)
        messages.info(request, "A new API token was created; the old one no longer works." if replaced
                      else "Your API token was created.")
        return redirect("api-token")
    # The curl examples' job: the latest one that succeeded (a download of any other answers 409).
    done = PoseJob.objects.filter(owner=request.user, status="succeeded").order_by("-created_at", "-pk")
    latest = done.values_list("pk", flat=True).first()
    return render(request, "poseapp/token.html", {"token": token, "now": timezone.now(), "latest_job": latest})


def docs(request, name: str):
    """The API, websocket and file-format docs (docs/*.md), readable without the repository."""
    if name not in docs_page.PAGES:
        raise Http404("No such page")
    body = docs_page.page_html(name, f"{request.scheme}://{request.get_host()}")
    return render(request, "poseapp/docs.html", {"title": docs_page.PAGES[name], "body": body,
                                                 "pages": docs_page.PAGES, "name": name})


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user)
        messages.success(request, f"Welcome, {user.username}. Upload a video to turn it into a 3D skeleton.")
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


class LoginView(auth_views.LoginView):
    """Django's sign-in, with failed attempts limited (poseapp/ratelimit.py): 429 and a sentence when locked."""
    authentication_form = RateLimitedAuthenticationForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.rate_limited:
            response.status_code = 429
        return response
