from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.views.generic import RedirectView
from django.urls import include, path, re_path

from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from participants.views import TokenView

from core.views import HealthView, api_not_found

urlpatterns = [
    path("admin/", admin.site.urls),
    # Only the token endpoint: API clients use the client-credentials grant.
    path("o/token/", TokenView.as_view(), name="oauth2_token"),
    # Health check, OpenAPI schema and its docs (assets served locally, no CDN).
    path("api/health", HealthView.as_view(), name="health"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("api/", include("appointments.api.urls")),
    re_path(r"^api/", api_not_found),
    # Back office: staff pages and their login.
    path("", RedirectView.as_view(url="/backoffice/", permanent=False)),
    path("backoffice/", include("appointments.urls")),
    # The customer's pages, opened by the link in the invite.
    path("", include("invitations.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.not_found"
handler500 = "core.views.server_error"
