"""Monitoring pages, included in the sessions URLconf (names under ``sessions:``)."""

from django.urls import path

from sessions.monitoring import views

urlpatterns = [
    path("dosing/<uuid:record_uuid>/live/", views.dosing_live, name="dosing_live"),
    path(
        "dosing/<uuid:record_uuid>/vitals/quick/",
        views.vitals_quick_add,
        name="vitals_quick_add",
    ),
    path(
        "dosing/<uuid:record_uuid>/alerts/acknowledge/",
        views.alerts_acknowledge,
        name="alerts_acknowledge",
    ),
    path(
        "dosing/<uuid:record_uuid>/alerts/<uuid:alert_uuid>/acknowledge/",
        views.alert_acknowledge,
        name="alert_acknowledge",
    ),
    path(
        "dosing/<uuid:record_uuid>/adverse-events/report/",
        views.adverse_event_report,
        name="adverse_event_report",
    ),
    path(
        "dosing/<uuid:record_uuid>/follow-ups/<uuid:follow_up_uuid>/done/",
        views.follow_up_done,
        name="follow_up_done",
    ),
    path("rooms/<uuid:room_uuid>/emergency-check/", views.room_check, name="room_check"),
]
