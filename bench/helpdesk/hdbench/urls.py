"""URLs of the benchmark project: django-helpdesk at the root (public submit form at /tickets/submit/)."""

from django.urls import include, path

urlpatterns = [path("", include("helpdesk.urls", namespace="helpdesk"))]
