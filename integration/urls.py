from django.urls import path

from integration import session_times_views, setup, views
from integration.practices import views as practice_views
from integration.supervision import urls as supervision_urls

app_name = "integration"

urlpatterns = [
    *setup.urlpatterns,
    *supervision_urls.urlpatterns,
    path(
        "appointments/<uuid:appointment_uuid>/note/",
        views.appointment_note,
        name="appointment_note",
    ),
    path("notes/<uuid:note_uuid>/", views.note_detail, name="note_detail"),
    path("notes/<uuid:note_uuid>/note.pdf", views.note_pdf, name="note_pdf"),
    path("notes/<uuid:note_uuid>/autosave/", views.note_autosave, name="note_autosave"),
    path("notes/<uuid:note_uuid>/save/", views.note_save, name="note_save"),
    path(
        "notes/<uuid:note_uuid>/session-times/",
        session_times_views.note_session_times,
        name="note_session_times",
    ),
    path("notes/<uuid:note_uuid>/cosign/", views.note_cosign, name="note_cosign"),
    path("notes/<uuid:note_uuid>/addenda/", views.note_addendum, name="note_addendum"),
    path("patients/<uuid:patient_uuid>/notes/", views.patient_notes, name="patient_notes"),
    path(
        "patients/<uuid:patient_uuid>/psychotherapy-notes/",
        views.psychotherapy_note_list,
        name="psychotherapy_note_list",
    ),
    path(
        "psychotherapy-notes/<uuid:note_uuid>/",
        views.psychotherapy_note_detail,
        name="psychotherapy_note_detail",
    ),
    path("reflections/", views.reflection_list, name="reflection_list"),
    path(
        "reflections/<uuid:reflection_uuid>/share/",
        views.reflection_share,
        name="reflection_share",
    ),
    path("courses/<uuid:course_uuid>/", views.course_integration, name="course_integration"),
    path(
        "courses/<uuid:course_uuid>/measures/plan/",
        views.course_measures_plan,
        name="course_measures_plan",
    ),
    path(
        "courses/<uuid:course_uuid>/measures/enter/",
        views.course_measure_enter,
        name="course_measure_enter",
    ),
    path("measures/<str:token>/", views.measure_answer, name="measure_answer"),
    path("patients/<uuid:patient_uuid>/trends/", views.patient_trends, name="patient_trends"),
    path("courses/<uuid:course_uuid>/trends/", views.course_trends, name="course_trends"),
    path("flagged-measures/", views.measures_flagged, name="measures_flagged"),
    path(
        "courses/<uuid:course_uuid>/practices/",
        practice_views.course_programme_attach,
        name="course_programme_attach",
    ),
    path(
        "practices/<uuid:assignment_uuid>/<uuid:practice_uuid>/done/",
        practice_views.practice_done,
        name="practice_done",
    ),
    path("outcomes/", views.clinic_outcomes, name="clinic_outcomes"),
    path("outcomes/export.csv", views.clinic_outcomes_csv, name="clinic_outcomes_csv"),
    path("courses/<uuid:course_uuid>/summary/", views.course_summary, name="course_summary"),
    path("courses/<uuid:course_uuid>/letter/", views.course_letter, name="course_letter"),
    path("courses/<uuid:course_uuid>/madrs/", views.course_madrs, name="course_madrs"),
]
