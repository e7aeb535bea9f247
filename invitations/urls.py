"""The customer's pages, public: the link's token is the credential."""

from django.urls import path

from . import views

app_name = "invitations"

urlpatterns = [
    # Before the token's patterns: a token is never this short.
    path("i/cancelled/", views.cancelled, name="cancelled"),
    path("i/<str:token>/", views.InviteView.as_view(), name="invite"),
    path("i/<str:token>/reschedule/", views.RescheduleView.as_view(), name="reschedule"),
    path("i/<str:token>/book/", views.BookView.as_view(), name="book"),
    path("i/<str:token>/cancel/", views.CancelView.as_view(), name="cancel"),
    path("i/<str:token>/other-times/", views.OtherTimesView.as_view(), name="other-times"),
    path("i/<str:token>/appointment.ics", views.CalendarView.as_view(), name="calendar"),
]
