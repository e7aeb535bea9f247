from django.urls import path

from .views import ApiNoop, ApiStatement, ApiWrite, baseline_write

urlpatterns = [
    path("baseline", baseline_write, name="bench-baseline"),
    path("api-noop/<str:enterprise>", ApiNoop.as_view(), name="bench-api-noop"),
    path("api-write/<str:enterprise>", ApiWrite.as_view(), name="bench-api-write"),
    path("api-statement/<str:enterprise>", ApiStatement.as_view(), name="bench-api-statement"),
]
