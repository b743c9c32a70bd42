from django.urls import path

from . import api, api_uploads, live, views

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("account/token/", views.api_token, name="api-token"),
    path("docs/<slug:name>/", views.docs, name="docs"),
    path("live/", live.live_page, name="live"),
    path("live/takes/", live.live_take, name="live-takes"),
    path("jobs/<int:job_id>/", views.job_detail, name="job-detail"),
    path("jobs/<int:job_id>/status.json", views.job_status, name="job-status"),
    path("jobs/<int:job_id>/result.json", views.job_result, name="job-result"),
    path("jobs/<int:job_id>/download/<str:fmt>", views.job_download, name="job-download"),
    path("jobs/<int:job_id>/video.mp4", views.job_video, name="job-video"),
    path("jobs/<int:job_id>/cancel/", views.job_cancel, name="job-cancel"),
    path("jobs/<int:job_id>/retry/", views.job_retry, name="job-retry"),
    path("jobs/<int:job_id>/delete/", views.job_delete, name="job-delete"),
    path("api/jobs/", api.jobs_collection, name="api-jobs"),
    path("api/jobs/<int:job_id>/", api.job_item, name="api-job"),
    path("api/jobs/<int:job_id>/result/<str:fmt>", api.job_result, name="api-job-result"),
    path("api/jobs/<int:job_id>/cancel/", api.job_cancel, name="api-job-cancel"),
    path("api/jobs/<int:job_id>/retry/", api.job_retry, name="api-job-retry"),
    path("api/uploads/", api_uploads.uploads_collection, name="api-uploads"),
    path("api/uploads/<uuid:upload_id>/", api_uploads.upload_item, name="api-upload"),
    path("api/uploads/<uuid:upload_id>/finish/", api_uploads.upload_finish, name="api-upload-finish"),
]
