from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from kap_clinic.accounts import forms, views
from kap_clinic.accounts.mfa import views as mfa_views
from kap_clinic.accounts.tokens import views as token_views

app_name = "accounts"

urlpatterns = [
    path("", views.index, name="index"),
    path("home/", views.home, name="home"),
    path("portal/", views.portal, name="portal"),
    path("desk/", views.desk, name="desk"),
    path("clinician/", views.clinician, name="clinician"),
    path("clinic-admin/", views.clinic_admin, name="clinic_admin"),
    path(
        "accounts/sign-in/",
        auth_views.LoginView.as_view(
            template_name="accounts/sign_in.html",
            authentication_form=forms.SignInForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("accounts/sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/change/",
        views.PasswordChangeView.as_view(
            template_name="accounts/password_change.html",
            form_class=forms.StyledPasswordChangeForm,
            success_url=reverse_lazy("accounts:password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/password_change_done.html"
        ),
        name="password_change_done",
    ),
    path(
        "accounts/password/reset/",
        auth_views.PasswordResetView.as_view(
            template_name="accounts/password_reset.html",
            email_template_name="accounts/email/password_reset.txt",
            subject_template_name="accounts/email/password_reset_subject.txt",
            form_class=forms.StyledPasswordResetForm,
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            form_class=forms.StyledSetPasswordForm,
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    # Two-factor sign-in, API tokens, and the clinic admin's view of staff security.
    path("accounts/two-factor/set-up/", mfa_views.mfa_setup, name="mfa_setup"),
    path("accounts/two-factor/verify/", mfa_views.mfa_verify, name="mfa_verify"),
    path(
        "accounts/two-factor/recovery-codes/",
        mfa_views.recovery_codes_regenerate,
        name="mfa_recovery_codes",
    ),
    path("accounts/two-factor/turn-off/", mfa_views.mfa_turn_off, name="mfa_turn_off"),
    path("accounts/security/", mfa_views.account_security, name="account_security"),
    path("accounts/api-tokens/", token_views.api_token_create, name="api_token_create"),
    path(
        "accounts/api-tokens/<uuid:token_uuid>/revoke/",
        token_views.api_token_revoke,
        name="api_token_revoke",
    ),
    path("clinic-admin/staff-security/", mfa_views.staff_security, name="staff_security"),
    path(
        "clinic-admin/staff-security/<uuid:user_uuid>/reset-two-factor/",
        mfa_views.staff_second_factor_reset,
        name="staff_second_factor_reset",
    ),
]
