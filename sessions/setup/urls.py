from django.urls import path

from sessions.setup import views

app_name = "setup"

urlpatterns = [
    path("locations/", views.location_list, name="location_list"),
    path("locations/new/", views.location_create, name="location_create"),
    path("locations/<uuid:location_uuid>/", views.location_detail, name="location_detail"),
    path("locations/<uuid:location_uuid>/edit/", views.location_edit, name="location_edit"),
    path(
        "locations/<uuid:location_uuid>/certifications/new/",
        views.certification_create,
        name="certification_create",
    ),
    path(
        "certifications/<uuid:certification_uuid>/",
        views.certification_edit,
        name="certification_edit",
    ),
    path(
        "certifications/<uuid:certification_uuid>/remove/",
        views.certification_remove,
        name="certification_remove",
    ),
    path("opening-hours/<int:hours_id>/remove/", views.opening_hours_remove, name="hours_remove"),
    path("rooms/new/", views.room_create, name="room_create"),
    path("protocols/", views.protocol_list, name="protocol_list"),
    path("protocols/new/", views.protocol_create, name="protocol_create"),
    path("protocols/<uuid:protocol_uuid>/", views.protocol_edit, name="protocol_edit"),
    path("dosing-policy/", views.dosing_policy_edit, name="dosing_policy"),
    path("rooms/<uuid:room_uuid>/", views.room_edit, name="room_edit"),
]
