"""The project's URLs with the benchmark's, as BENCHMARK_ENDPOINTS=true serves them."""

from django.urls import include, path

from config.urls import urlpatterns as project

urlpatterns = [path("bench/", include("bench.urls")), *project]
