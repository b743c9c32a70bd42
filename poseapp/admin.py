from django.contrib import admin

from .models import PoseJob, Video


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    list_display = ("id", "original_name", "owner", "size_bytes", "created_at")
    search_fields = ("original_name", "owner__username")


@admin.register(PoseJob)
class PoseJobAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "video", "status", "stage", "model_name", "created_at", "finished_at")
    list_filter = ("status",)
    readonly_fields = ("timings", "task_id", "created_at", "started_at", "finished_at")
