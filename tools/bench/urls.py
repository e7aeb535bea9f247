"""The project's URLs, plus the benchmark endpoints under /bench/ (served by tools.bench.settings only)."""

from django.urls import include, path

# The project's error views: Django takes them from the root URLconf.
from config.urls import handler400, handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as project

from .views import ApiNoop, ApiWrite, baseline_write

bench = [
    path("baseline", baseline_write, name="bench-baseline"),
    path("api-noop/<str:enterprise>", ApiNoop.as_view(), name="bench-api-noop"),
    path("api-write/<str:enterprise>", ApiWrite.as_view(), name="bench-api-write"),
]

urlpatterns = [*project, path("bench/", include(bench))]
