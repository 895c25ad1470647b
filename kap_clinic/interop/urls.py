from django.urls import path, re_path

from kap_clinic.interop import export_views, views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.FhirMetadataApi.as_view(), name="metadata"),
    path("$export", export_views.ExportKickOffApi.as_view(), name="export"),
    path("Patient/$export", export_views.PatientExportKickOffApi.as_view(), name="patient_export"),
    path(
        "Group/<str:group_id>/$export",
        export_views.GroupExportKickOffApi.as_view(),
        name="group_export",
    ),
    path(
        "$export-status/<uuid:job_uuid>",
        export_views.ExportStatusApi.as_view(),
        name="export_status",
    ),
    path(
        "$export-file/<uuid:job_uuid>/<str:name>",
        export_views.ExportFileApi.as_view(),
        name="export_file",
    ),
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
