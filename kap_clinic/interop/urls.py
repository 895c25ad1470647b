from django.urls import path, re_path

from kap_clinic.interop import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.FhirMetadataApi.as_view(), name="metadata"),
    re_path(
        r"^Patient/(?P<fhir_id>[A-Za-z0-9\-\.]{1,64})/\$everything$",
        views.FhirEverythingApi.as_view(),
        name="everything",
    ),
    re_path(r"^(?P<resource_type>[A-Z][A-Za-z]+)$", views.FhirSearchApi.as_view(), name="search"),
    re_path(
        r"^(?P<resource_type>[A-Z][A-Za-z]+)/(?P<fhir_id>[A-Za-z0-9\-\.]{1,64})$",
        views.FhirReadApi.as_view(),
        name="read",
    ),
    re_path(r"^(?P<rest>.*)$", views.fhir_not_found, name="not_found"),
]
