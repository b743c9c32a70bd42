from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from .forms import SignUpForm, UploadForm
from .models import PoseJob, Video
from .tasks import enqueue_pose_job
from .video_response import ranged_file_response


def visible_job_or_404(request, job_id: int) -> PoseJob:
    job = get_object_or_404(PoseJob.objects.select_related("video"), pk=job_id)
    if not job.visible_to(request.user):
        raise Http404("No such job")  # 404, not 403: do not reveal that the job exists
    return job


@login_required
@require_http_methods(["GET", "POST"])
def home(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["video"]
        video = Video.objects.create(owner=request.user, file=upload, original_name=upload.name[:255],
                                     size_bytes=upload.size)
        job = PoseJob.objects.create(owner=request.user, video=video)
        enqueue_pose_job(job)
        return redirect(job)
    jobs = PoseJob.objects.filter(owner=request.user).select_related("video")[:50]
    return render(request, "poseapp/home.html", {"form": form, "jobs": jobs}, status=400 if form.errors else 200)


@login_required
def job_detail(request, job_id: int):
    job = visible_job_or_404(request, job_id)
    return render(request, "poseapp/job.html", {"job": job})


@login_required
def job_status(request, job_id: int):
    job = visible_job_or_404(request, job_id)
    return JsonResponse({
        "id": job.pk, "status": job.status, "stage": job.stage, "done": job.progress_done,
        "total": job.progress_total, "error": job.error, "model": job.model_name,
        "frame_count": job.frame_count, "timings": job.timings,
    })


@login_required
def job_result(request, job_id: int):
    job = visible_job_or_404(request, job_id)
    if job.status != PoseJob.Status.SUCCEEDED or not job.result_path.exists():
        raise Http404("The result is not ready")
    stem = job.video.original_name.rsplit(".", 1)[0][:60] or f"job{job.pk}"
    return FileResponse(open(job.result_path, "rb"), as_attachment=True, filename=f"{stem}.result.json",
                        content_type="application/json")


@login_required
def job_video(request, job_id: int):
    job = visible_job_or_404(request, job_id)
    if not job.playable_video_path.exists():
        raise Http404("The browser copy of this video is not ready yet")
    return ranged_file_response(request, job.playable_video_path, "video/mp4")


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user)
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form})
