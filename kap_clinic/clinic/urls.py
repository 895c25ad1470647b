from django.urls import path

from kap_clinic.clinic import views

app_name = "clinic"

urlpatterns = [
    path("", views.setup_index, name="index"),
    path("welcome/", views.wizard, name="wizard"),
    path("organisation/", views.organisation_edit, name="organisation_edit"),
    path("organisation/logo/", views.organisation_logo, name="organisation_logo"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/invite/", views.staff_invite, name="staff_invite"),
    path("staff/me/", views.my_credentials, name="my_credentials"),
    path("staff/<uuid:user_uuid>/", views.staff_detail, name="staff_detail"),
    path("staff/<uuid:user_uuid>/role/", views.staff_role, name="staff_role"),
    path("staff/<uuid:user_uuid>/deactivate/", views.staff_deactivate, name="staff_deactivate"),
    path("staff/<uuid:user_uuid>/reactivate/", views.staff_reactivate, name="staff_reactivate"),
    path(
        "staff/<uuid:user_uuid>/invitation/",
        views.staff_invitation_resend,
        name="staff_invitation_resend",
    ),
    path("staff/<uuid:user_uuid>/npi/", views.staff_profile_edit, name="staff_profile_edit"),
    path("staff/<uuid:user_uuid>/licences/new/", views.licence_add, name="licence_add"),
    path("staff/<uuid:user_uuid>/dea/new/", views.dea_add, name="dea_add"),
    path("licences/<uuid:licence_uuid>/", views.licence_edit, name="licence_edit"),
    path("dea/<uuid:registration_uuid>/", views.dea_edit, name="dea_edit"),
    path(
        "credentials/<uuid:credential_uuid>/remove/",
        views.credential_remove,
        name="credential_remove",
    ),
    path("invitation/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("email/", views.email_change, name="email_change"),
    path("email/confirm/<str:token>/", views.email_change_confirm, name="email_change_confirm"),
]
