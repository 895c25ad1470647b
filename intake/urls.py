from django.urls import path

from intake import views

app_name = "intake"

urlpatterns = [
    path("", views.patient_list, name="patient_list"),
    path("<uuid:patient_uuid>/", views.patient_detail, name="patient_detail"),
]
