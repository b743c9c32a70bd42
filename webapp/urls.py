from django.contrib import admin
from django.urls import include, path

from poseapp.views import LoginView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", LoginView.as_view(), name="login"),  # failed sign-ins limited (poseapp/ratelimit.py)
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("poseapp.urls")),
]
