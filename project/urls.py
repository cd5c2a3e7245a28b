from django.contrib import admin
from django.urls import include, path

from inbox.site import site

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", site.urls),
]
