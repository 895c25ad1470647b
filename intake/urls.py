from django.urls import path

from intake import access_report, chart_views, details, emergency, retention_views, views
from intake.conversations import views as conversation_views

app_name = "intake"

urlpatterns = [
    path("", views.patient_list, name="patient_list"),
    path("invite/", views.patient_invite, name="patient_invite"),
    path("search/", views.patient_search, name="patient_search"),
    path("review/", views.intake_review_queue, name="review_queue"),
    path("policy/", views.clinic_policy_edit, name="clinic_policy_edit"),
    path("requests/", views.invitation_request_list, name="invitation_request_list"),
    path(
        "requests/<uuid:request_uuid>/<str:action>/",
        views.invitation_request_handle,
        name="invitation_request_handle",
    ),
    path("request-invitation/", views.invitation_request_create, name="invitation_request"),
    path("invitation/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("my-messages/", conversation_views.my_threads, name="my_threads"),
    path("my-messages/<uuid:thread_uuid>/", conversation_views.my_thread, name="my_thread"),
    path("my-details/", details.my_details, name="my_details"),
    path("my-intake/", views.intake_resume, name="intake_resume"),
    path("my-intake/step/<slug:step>/", views.intake_step, name="intake_step"),
    path("my-intake/review/", views.intake_review, name="intake_review"),
    path("my-intake/submitted/", views.intake_submitted, name="intake_submitted"),
    path(
        "alerts/<uuid:alert_uuid>/acknowledge/",
        views.alert_acknowledge,
        name="alert_acknowledge",
    ),
    path(
        "findings/<uuid:finding_uuid>/override/",
        views.finding_override,
        name="finding_override",
    ),
    # The chart: the overview keeps the name every page already links to.
    path("<uuid:patient_uuid>/", chart_views.chart_overview, name="patient_detail"),
    path(
        "<uuid:patient_uuid>/chart/summary.pdf",
        chart_views.chart_summary_pdf,
        name="chart_summary_pdf",
    ),
    path(
        "<uuid:patient_uuid>/chart/<slug:key>/",
        chart_views.chart_section_view,
        name="chart_section",
    ),
    path("<uuid:patient_uuid>/discharge/", views.patient_close, name="patient_close"),
    path(
        "<uuid:patient_uuid>/messages/new/",
        conversation_views.thread_create,
        name="thread_create",
    ),
    path(
        "<uuid:patient_uuid>/messages/<uuid:thread_uuid>/",
        conversation_views.thread_detail,
        name="thread_detail",
    ),
    path("retention/", retention_views.retention_overview, name="retention"),
    path(
        "retention/<uuid:patient_uuid>/request/",
        retention_views.purge_request,
        name="purge_request",
    ),
    path(
        "retention/purges/<uuid:purge_uuid>/<slug:decision>/",
        retention_views.purge_decide,
        name="purge_decide",
    ),
    path(
        "<uuid:patient_uuid>/deactivate/",
        retention_views.patient_deactivate,
        name="patient_deactivate",
    ),
    path(
        "<uuid:patient_uuid>/emergency-access/",
        emergency.emergency_access,
        name="emergency_access",
    ),
    path(
        "<uuid:patient_uuid>/accesses/",
        access_report.patient_access_report,
        name="patient_access_report",
    ),
    path("<uuid:patient_uuid>/invitation/", views.invitation_resend, name="invitation_resend"),
    path("<uuid:patient_uuid>/intake/", views.intake_summary, name="intake_summary"),
    path("<uuid:patient_uuid>/intake.pdf", views.intake_summary_pdf, name="intake_summary_pdf"),
    path(
        "<uuid:patient_uuid>/intake/correct/<slug:step>/",
        views.intake_correct,
        name="intake_correct",
    ),
    path(
        "<uuid:patient_uuid>/assessment/medical/",
        views.medical_assessment_create,
        name="medical_assessment_create",
    ),
    path(
        "<uuid:patient_uuid>/assessment/clinical/",
        views.clinical_assessment_create,
        name="clinical_assessment_create",
    ),
]
