from django.urls import include, path

from sessions import views
from sessions.monitoring import urls as monitoring_urls
from sessions.rems import urls as rems_urls

app_name = "sessions"

urlpatterns = [
    path("setup/", include("sessions.setup.urls")),
    path("billing/", include("sessions.billing.urls")),
    path("controlled-substances/", include("sessions.controlled.urls")),
    path("calendar/", views.calendar, name="calendar"),
    path("availability/", views.availability, name="availability"),
    path("ready-to-schedule/", views.ready_to_schedule, name="ready_to_schedule"),
    path("locations/<uuid:location_uuid>/today/", views.board_today, name="board_today"),
    path("locations/<uuid:location_uuid>/live/", views.board_live, name="board_live"),
    path(
        "locations/<uuid:location_uuid>/live/rows/", views.board_live_rows, name="board_live_rows"
    ),
    path("patients/<uuid:patient_uuid>/", views.patient_sessions, name="patient_sessions"),
    path("patients/<uuid:patient_uuid>/courses/new/", views.course_create, name="course_create"),
    path(
        "patients/<uuid:patient_uuid>/appointments/new/",
        views.appointment_book,
        name="appointment_book",
    ),
    path("courses/<uuid:course_uuid>/", views.course_detail, name="course_detail"),
    path("courses/<uuid:course_uuid>/sign/", views.course_plan_sign, name="course_plan_sign"),
    path("courses/<uuid:course_uuid>/plan/", views.course_plan_view, name="course_plan"),
    path(
        "appointments/<uuid:appointment_uuid>/", views.appointment_detail, name="appointment_detail"
    ),
    path(
        "appointments/<uuid:appointment_uuid>/cancel/",
        views.appointment_cancel,
        name="appointment_cancel",
    ),
    path(
        "appointments/<uuid:appointment_uuid>/move/",
        views.appointment_reschedule,
        name="appointment_reschedule",
    ),
    path(
        "appointments/<uuid:appointment_uuid>/status/",
        views.appointment_status,
        name="appointment_status",
    ),
    path(
        "appointments/<uuid:appointment_uuid>/no-show/undo/",
        views.appointment_no_show_undo,
        name="appointment_no_show_undo",
    ),
    path(
        "appointments/<uuid:appointment_uuid>/readiness/",
        views.readiness_patient,
        name="readiness_patient",
    ),
    path("appointments/<uuid:appointment_uuid>/check-in/", views.check_in, name="check_in"),
    path("dosing/<uuid:record_uuid>/", views.dosing_record_detail, name="dosing_record"),
    path("dosing/<uuid:record_uuid>/record.pdf", views.dosing_record_pdf, name="dosing_record_pdf"),
    path("dosing/<uuid:record_uuid>/override/", views.dosing_override, name="dosing_override"),
    path("dosing/<uuid:record_uuid>/start/", views.dosing_start, name="dosing_start"),
    path("dosing/<uuid:record_uuid>/not-dosed/", views.dosing_abandon, name="dosing_abandon"),
    path("dosing/<uuid:record_uuid>/doses/", views.dose_add, name="dose_add"),
    path("dosing/<uuid:record_uuid>/medicines/", views.medication_add, name="medication_add"),
    path(
        "dosing/<uuid:record_uuid>/medicines/<uuid:medication_uuid>/explained/",
        views.medication_explained,
        name="medication_explained",
    ),
    path("dosing/<uuid:record_uuid>/vitals/", views.vitals_add, name="vitals_add"),
    path("dosing/<uuid:record_uuid>/scores/", views.scores_add, name="scores_add"),
    path("dosing/<uuid:record_uuid>/observations/", views.observation_add, name="observation_add"),
    path(
        "dosing/<uuid:record_uuid>/adverse-events/",
        views.adverse_event_add,
        name="adverse_event_add",
    ),
    path("dosing/<uuid:record_uuid>/discharge/", views.discharge, name="discharge"),
]

urlpatterns += monitoring_urls.urlpatterns
urlpatterns += rems_urls.urlpatterns
