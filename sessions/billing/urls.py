from django.urls import path

from sessions.billing import report_views, views

app_name = "billing"

urlpatterns = [
    path("codes/", views.code_list, name="code_list"),
    path("codes/new/", views.code_create, name="code_create"),
    path("codes/<uuid:code_uuid>/", views.code_edit, name="code_edit"),
    path("default-charges/", views.fee_default_list, name="fee_default_list"),
    path("default-charges/new/", views.fee_default_create, name="fee_default_create"),
    path("default-charges/<int:default_id>/", views.fee_default_edit, name="fee_default_edit"),
    path("sliding-scale/", views.tier_list, name="tier_list"),
    path("sliding-scale/new/", views.tier_create, name="tier_create"),
    path("sliding-scale/<uuid:tier_uuid>/", views.tier_edit, name="tier_edit"),
    path("sliding-scale/income-line/", views.policy_edit, name="policy_edit"),
    path(
        "appointments/<uuid:appointment_uuid>/charges/",
        views.appointment_charges,
        name="appointment_charges",
    ),
    path("charges/<uuid:charge_uuid>/<slug:action>/", views.charge_action, name="charge_action"),
    path("patients/<uuid:patient_uuid>/statement/", views.statement, name="statement"),
    path("patients/<uuid:patient_uuid>/superbill/", views.superbill_pdf, name="superbill"),
    path("payments/<uuid:payment_uuid>/receipt/", views.receipt, name="receipt"),
    path("courses/<uuid:course_uuid>/diagnoses/", views.course_diagnoses, name="course_diagnoses"),
    path("courses/<uuid:course_uuid>/estimate/", views.course_estimate, name="course_estimate"),
    path("estimates/<uuid:estimate_uuid>/", views.estimate_detail, name="estimate_detail"),
    path("estimates/<uuid:estimate_uuid>/pdf/", views.estimate_pdf, name="estimate_pdf"),
    path(
        "estimates/<uuid:estimate_uuid>/acknowledge/",
        views.estimate_acknowledge,
        name="estimate_acknowledge",
    ),
    path("policy/", views.billing_policy_edit, name="billing_policy_edit"),
    path("my/", views.my_billing, name="my_billing"),
    path("my/superbill/email/", views.my_superbill_email, name="my_superbill_email"),
    path(
        "patients/<uuid:patient_uuid>/sliding-scale/",
        views.patient_sliding_scale,
        name="patient_sliding_scale",
    ),
    path(
        "courses/<uuid:course_uuid>/diagnoses/<int:diagnosis_id>/remove/",
        views.course_diagnosis_remove,
        name="course_diagnosis_remove",
    ),
    path("reports/", report_views.billing_report, name="report"),
    path("reports/csv/", report_views.billing_report_csv, name="report_csv"),
]
