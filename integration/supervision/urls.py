from django.urls import path

from integration.supervision import views

urlpatterns = [
    path("notes/<uuid:note_uuid>/return/", views.note_return, name="note_return"),
]
