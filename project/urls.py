from django.contrib import admin
from django.urls import include, path

from inbox.site import site
from project.health import healthz

urlpatterns = [
    # No login, no HTTPS redirect (settings.SECURE_REDIRECT_EXEMPT): probes call it over plain HTTP.
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", site.urls),
]
