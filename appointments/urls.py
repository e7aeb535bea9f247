"""The back office's staff pages, mounted at /backoffice/."""

from django.urls import path

from . import views

app_name = "backoffice"

urlpatterns = [
    path("", views.AppointmentListView.as_view(), name="appointment-list"),
    path("appointments/new/", views.InviteCreateView.as_view(), name="invite"),
    path("appointments/<int:pk>/", views.AppointmentDetailView.as_view(), name="appointment-detail"),
]
