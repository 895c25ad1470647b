"""The REMS pages, in the sessions namespace (included by sessions/urls.py)."""

from django.urls import path

from sessions.rems import views

urlpatterns = [
    path("rems/", views.rems_list, name="rems_list"),
    path(
        "patients/<uuid:patient_uuid>/rems-enrolment/",
        views.rems_enrolment,
        name="rems_enrolment",
    ),
    path("dosing/<uuid:record_uuid>/rems/", views.rems_form, name="rems_form"),
    path(
        "dosing/<uuid:record_uuid>/rems/complete/",
        views.rems_form_complete,
        name="rems_form_complete",
    ),
    path("dosing/<uuid:record_uuid>/rems/form.pdf", views.rems_form_pdf, name="rems_form_pdf"),
    path(
        "dosing/<uuid:record_uuid>/rems/send/", views.rems_form_transmit, name="rems_form_transmit"
    ),
    path(
        "dosing/<uuid:record_uuid>/rems/submitted/",
        views.rems_form_submission_record,
        name="rems_form_submission_record",
    ),
]
