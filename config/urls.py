from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.views.generic import RedirectView
from django.urls import include, path, re_path
from oauth2_provider import views as oauth2_views

from .views import api_not_found

urlpatterns = [
    path("admin/", admin.site.urls),
    # Only the token endpoint: API clients use the client-credentials grant.
    path("o/token/", oauth2_views.TokenView.as_view(), name="oauth2_token"),
    path("api/", include("appointments.api.urls")),
    re_path(r"^api/", api_not_found),
    # Back office: staff pages and their login.
    path("", RedirectView.as_view(url="/backoffice/", permanent=False)),
    path("backoffice/", include("appointments.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]

if settings.BENCHMARK_ENDPOINTS:
    urlpatterns.insert(0, path("bench/", include("bench.urls")))

handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
