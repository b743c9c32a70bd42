from django.contrib import admin, messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone

from .forms import LifterModelForm, RateLimitedAdminAuthenticationForm, TrainingJobForm
from .models import ApiToken, LifterModel, PoseJob, TrainingJob, Video
from .queues import TRAIN_QUEUE
from .tasks import enqueue_training_job


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    list_display = ("id", "original_name", "owner", "size_bytes", "created_at")
    search_fields = ("original_name", "owner__username")


@admin.register(PoseJob)
class PoseJobAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "video", "status", "stage", "model_name", "created_at", "finished_at")
    list_filter = ("status",)
    readonly_fields = ("timings", "task_id", "queue_priority", "created_at", "started_at", "finished_at",
                       "heartbeat_at")


@admin.register(LifterModel)
class LifterModelAdmin(admin.ModelAdmin):
    form = LifterModelForm  # checkpoint paths confined to POSENET_MODELS_DIR (poseapp/checkpoint_paths.py)
    list_display = ("name", "is_active", "architecture", "metrics", "created_at")
    readonly_fields = ("is_active", "training_job", "created_at")

    @admin.display(description="arch", ordering="arch")
    def architecture(self, obj):
        return obj.architecture or "unknown (set Arch, or run a job with it)"
    actions = ["make_active"]

    @admin.action(description="Make the selected model the default for new jobs")
    def make_active(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one model to make active.", messages.ERROR)
            return
        model = queryset.get()
        model.activate()
        self.message_user(request, f"{model.name} is now the default model for new jobs.", messages.SUCCESS)


@admin.register(TrainingJob)
class TrainingJobAdmin(admin.ModelAdmin):
    form = TrainingJobForm
    list_display = ("id", "name", "arch", "status", "epochs_done", "best_val_mpjpe", "created_at")
    list_filter = ("status", "arch")
    actions = ["cancel_jobs", "copy_and_requeue"]
    change_form_template = "admin/poseapp/trainingjob/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        base = ("status", "error", "checkpoint", "created_by", "started_at", "finished_at")
        if obj is None:
            return base
        # A queued or finished run's configuration is what it ran with: not editable afterwards.
        return base + tuple(TrainingJobForm.Meta.fields)

    @admin.display(description="epochs done")
    def epochs_done(self, obj):
        return len(obj.history)

    @admin.display(description="best val MPJPE (mm)")
    def best_val_mpjpe(self, obj):
        values = [h["val_mpjpe"] for h in obj.history if h.get("val_mpjpe") is not None]
        return round(min(values), 1) if values else None

    def save_model(self, request, obj, form, change):
        new = obj.pk is None
        if new:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if new:
            enqueue_training_job(obj)
            self.message_user(request, f"Training job '{obj.name}' was queued on the '{TRAIN_QUEUE}' queue.")

    @admin.action(description="Copy and re-queue (opens the copy for editing)")
    def copy_and_requeue(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one training job to copy.", messages.ERROR)
            return None
        return redirect(f"{reverse('admin:poseapp_trainingjob_add')}?copy_of={queryset.get().pk}")

    def get_changeform_initial_data(self, request):
        """`?copy_of=<pk>`: a new job with that one's settings (saving it queues it)."""
        initial = super().get_changeform_initial_data(request)
        source = request.GET.get("copy_of", "")
        job = TrainingJob.objects.filter(pk=source).first() if source.isdigit() else None
        if job is not None:
            initial.pop("copy_of", None)
            initial.update({f: getattr(job, f) for f in TrainingJobForm.Meta.fields})
        return initial

    def add_view(self, request, form_url="", extra_context=None):
        source = request.GET.get("copy_of", "")
        if request.method == "GET" and source.isdigit() and TrainingJob.objects.filter(pk=source).exists():
            self.message_user(request, f"A copy of training job #{source}: edit it, then save to queue it.")
        return super().add_view(request, form_url, extra_context)

    @admin.action(description="Cancel the selected training jobs")
    def cancel_jobs(self, request, queryset):
        n = queryset.filter(status__in=[TrainingJob.Status.QUEUED, TrainingJob.Status.RUNNING]).update(
            status=TrainingJob.Status.CANCELLED, finished_at=timezone.now(), error="Cancelled by staff.")
        self.message_user(request, f"{n} training job(s) cancelled; a running one stops after its current epoch.")

    def changelist_view(self, request, extra_context=None):
        TrainingJob.fail_stale()
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        extra = [path("<int:pk>/metrics.json", self.admin_site.admin_view(self.metrics_view),
                      name="poseapp_trainingjob_metrics")]
        return extra + super().get_urls()

    def metrics_view(self, request, pk):
        TrainingJob.fail_stale(pk=pk)
        job = TrainingJob.objects.filter(pk=pk).first()
        if job is None or not self.has_view_permission(request, job):
            raise Http404
        model = getattr(job, "registered_model", None)
        return JsonResponse({"status": job.status, "error": job.error, "epochs": job.epochs, "history": job.history,
                             "model": model and {"id": model.pk, "name": model.name, "active": model.is_active}})


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "created_at")
    readonly_fields = ("key",)


# The admin's sign-in is limited like the site's (poseapp/ratelimit.py), and its refusal is a 429 too.
admin.site.login_form = RateLimitedAdminAuthenticationForm
_admin_login = admin.site.login


def _rate_limited_admin_login(request, extra_context=None):
    response = _admin_login(request, extra_context)
    form = (getattr(response, "context_data", None) or {}).get("form")
    if getattr(form, "rate_limited", False):
        response.status_code = 429
    return response


admin.site.login = _rate_limited_admin_login
