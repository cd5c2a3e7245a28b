from django.contrib import admin
from django.urls import include, path

from inbox.api import api
from inbox.site import site
from project.health import healthz

urlpatterns = [
    # No login, no HTTPS redirect (settings.SECURE_REDIRECT_EXEMPT): probes call it over plain HTTP.
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),  # the JSON API (inbox/api/), bearer tokens only
    path("accounts/", include("django.contrib.auth.urls")),
    path("", site.urls),
]

# A lost database answers 503 「系统繁忙，请稍后再试」 rather than 500 (project/middleware.py).
handler500 = "project.middleware.server_error"
