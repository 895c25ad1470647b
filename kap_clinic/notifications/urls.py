from django.urls import path

from kap_clinic.notifications import views

app_name = "notifications"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<uuid:message_uuid>/", views.inbox_message, name="inbox_message"),
    path("log/", views.message_log, name="message_log"),
    path(
        "log/<slug:recipient_kind>/<uuid:recipient_id>/",
        views.message_log_recipient,
        name="message_log_recipient",
    ),
    path("log/message/<uuid:message_uuid>/resend/", views.message_resend_view, name="resend"),
    path("log/resend-failed/", views.messages_resend_failed_view, name="resend_failed"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("library/", views.library, name="library"),
    path("library/new/", views.article_create, name="article_create"),
    path("library/article/<uuid:article_uuid>/edit/", views.article_edit, name="article_edit"),
    path(
        "library/article/<uuid:article_uuid>/delete/",
        views.article_delete_view,
        name="article_delete",
    ),
    path("library/articles/<slug:slug>/", views.article_read, name="article_read"),
]
