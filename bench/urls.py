from django.urls import path

from .views import baseline_write

urlpatterns = [path("baseline", baseline_write, name="bench-baseline")]
