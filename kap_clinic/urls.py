from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from kap_clinic.health import healthz
from kap_clinic.notifications.api import router as notifications_router
from kap_clinic.views import favicon

admin.site.site_header = "KAP clinic administration"

urlpatterns = [
    path("", include("kap_clinic.accounts.urls")),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon),
    path("patients/", include("intake.urls")),
    path("audit/", include("kap_clinic.audit.urls")),
    path("setup/", include("kap_clinic.clinic.urls")),
    path("notifications/", include("kap_clinic.notifications.urls")),
    path("sessions/", include("sessions.urls")),
    path("integration/", include("integration.urls")),
    path("api/v1/", include("sessions.api")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(notifications_router.urls)),
    path("api/v1/", include(("intake.api", "intake_api"))),
    path("api/v1/", include(("integration.api", "integration_api"))),
    path("api/v1/", include(("kap_clinic.clinic.api", "clinic_api"))),
    path("api/v1/", include(("sessions.billing.api", "billing_api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("fhir/", include("kap_clinic.interop.urls")),
    path("records/", include("kap_clinic.interop.record_urls")),
]
