from django.urls import path

from kap_clinic.interop import record_views

app_name = "records"

urlpatterns = [
    path("mine/", record_views.my_record, name="my_record"),
    path("mine/download/", record_views.my_record_download, name="my_record_download"),
    path("mine/send/", record_views.record_request_new, name="request_new"),
    path("requests/", record_views.record_request_list, name="request_list"),
    path("exports/", record_views.export_list, name="export_list"),
    path(
        "requests/<uuid:request_uuid>/sent/",
        record_views.record_request_sent,
        name="request_sent",
    ),
]
