from rest_framework.routers import SimpleRouter

from .views import AppointmentViewSet

router = SimpleRouter(trailing_slash=False)
router.register(r"enterprises/(?P<enterprise>[^/]+)/appointments", AppointmentViewSet, basename="appointment")

urlpatterns = router.urls
