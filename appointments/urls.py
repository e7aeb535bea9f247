"""The back office's staff pages, mounted at /backoffice/."""

from django.urls import path

from . import views

app_name = "backoffice"

urlpatterns = [
    path("", views.AppointmentListView.as_view(), name="appointment-list"),
    path("appointments/new/", views.InviteCreateView.as_view(), name="invite"),
    path("appointments/<int:pk>/", views.AppointmentDetailView.as_view(), name="appointment-detail"),
    # The appointment's actions: POST only, each back to the appointment's page.
    path("appointments/<int:pk>/reschedule/", views.RescheduleView.as_view(), name="appointment-reschedule"),
    path("appointments/<int:pk>/accept/", views.AcceptView.as_view(), name="appointment-accept"),
    path("appointments/<int:pk>/cancel/", views.CancelView.as_view(), name="appointment-cancel"),
    path("appointments/<int:pk>/complete/", views.CompleteView.as_view(), name="appointment-complete"),
    path("appointments/<int:pk>/no-show/", views.NoShowView.as_view(), name="appointment-no-show"),
]
