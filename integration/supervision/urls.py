from django.urls import path

from integration.supervision import pages, views

urlpatterns = [
    path("supervision/", views.queue, name="supervision_queue"),
    path(
        "supervision/clearances/<str:kind>/<uuid:assessment_uuid>/",
        views.clearance_cosign,
        name="clearance_cosign",
    ),
    path("supervision/my-hours/", views.my_hours, name="supervision_hours"),
    path("notes/<uuid:note_uuid>/return/", views.note_return, name="note_return"),
    path(
        "supervision/reports/<uuid:report_uuid>/report.pdf",
        views.report_pdf,
        name="supervision_report_pdf",
    ),
    path(
        "supervision/reports/<uuid:report_uuid>/sign/",
        views.report_sign,
        name="supervision_report_sign",
    ),
]

urlpatterns += [
    path(
        "supervision/relationships/",
        pages.relationship_list,
        name="supervision_relationships",
    ),
    path(
        "supervision/relationships/<uuid:relationship_uuid>/end/",
        pages.relationship_end,
        name="supervision_relationship_end",
    ),
    path("supervision/meetings/new/", pages.meeting_new, name="supervision_meeting_new"),
    path(
        "supervision/supervisees/<uuid:relationship_uuid>/meetings/",
        pages.supervisee_meetings,
        name="supervision_supervisee_meetings",
    ),
    path(
        "supervision/supervisees/<uuid:relationship_uuid>/reports/",
        pages.supervisee_reports,
        name="supervision_supervisee_reports",
    ),
    path("supervision/my-reports/", pages.my_reports, name="supervision_my_reports"),
]
