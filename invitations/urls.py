"""The customer's pages, public: the link's token is the credential."""

from django.urls import path

from . import views

app_name = "invitations"

urlpatterns = [
    path("i/<str:token>/", views.InviteView.as_view(), name="invite"),
]
