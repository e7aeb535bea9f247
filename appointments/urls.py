"""The back office's staff pages, mounted at /backoffice/."""

from django.urls import path

from . import views

app_name = "backoffice"

urlpatterns = [
    path("", views.AppointmentListView.as_view(), name="appointment-list"),
    path("appointments/new/", views.InviteCreateView.as_view(), name="invite"),
    path("appointments/<int:pk>/", views.AppointmentDetailView.as_view(), name="appointment-detail"),
    # The appointment's actions: POST only, each back to the appointment's page.
    path("appointments/<int:pk>/reschedule/", views.reschedule, name="appointment-reschedule"),
    path("appointments/<int:pk>/accept/", views.accept, name="appointment-accept"),
    path("appointments/<int:pk>/cancel/", views.cancel, name="appointment-cancel"),
    path("appointments/<int:pk>/complete/", views.complete, name="appointment-complete"),
    path("appointments/<int:pk>/no-show/", views.no_show, name="appointment-no-show"),
    path("appointments/<int:pk>/resend-invite/", views.resend_invite, name="appointment-resend-invite"),
]
