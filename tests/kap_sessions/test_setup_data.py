from decimal import Decimal

import pytest
from django.apps import apps
from django.db import IntegrityError
from django.test import Client

from kap_clinic.accounts.models import User
from sessions.models import DosingPolicy, Protocol, Route
from tests.factories import ProtocolFactory

pytestmark = pytest.mark.django_db

# The monitoring settings of the dosing policy (the admin form posts every field).
MONITORING_POLICY = {
    "alert_systolic_rise": 40,
    "alert_diastolic_rise": 25,
    "alert_systolic_at_or_above": 180,
    "alert_diastolic_at_or_above": 110,
    "alert_spo2_below": 92,
    "alert_heart_rate_above": 120,
    "alert_heart_rate_below": 50,
    "alert_respiratory_rate_below": 10,
    "vitals_overdue_escalation_minutes": 10,
    "emergency_rescue_medicines": "Labetalol\nOndansetron",
    "dosing_sessions_per_7_days_maximum": 3,
    "dosing_sessions_per_90_days_maximum": 17,
}


def test_the_app_keeps_its_directory_and_uses_the_kap_sessions_label() -> None:
    assert apps.get_app_config("kap_sessions").name == "sessions"


def test_the_protocols_clinical_md_describes_are_seeded_with_their_sources() -> None:
    iv = Protocol.objects.get(name__startswith="IV ketamine induction")
    assert (iv.route, iv.dose_rule, iv.dose_default, iv.dosing_sessions) == (
        Route.IV,
        "mg_per_kg",
        Decimal("0.500"),
        6,
    )
    assert (iv.administration_minutes, iv.vitals_every_minutes_during) == (40, 10)
    induction = Protocol.objects.get(name__startswith="Esketamine induction")
    assert induction.minimum_monitoring_minutes >= 120
    assert induction.rems_form_required
    assert (induction.device_mg, induction.minutes_between_devices) == (Decimal("28.00"), 5)
    assert (induction.dose_minimum, induction.dose_maximum) == (Decimal("28"), Decimal("84"))
    assert Protocol.objects.filter(name__startswith="Esketamine maintenance").exists()
    routes = set(Protocol.objects.values_list("route", flat=True))
    assert routes == set(Route.values)
    assert all(protocol.source for protocol in Protocol.objects.all())
    # CLINICAL.md gives no IM or sublingual dose: those are inactive until a prescriber sets one.
    assert not Protocol.objects.get(route=Route.IM).is_active


def test_an_esketamine_protocol_cannot_monitor_for_less_than_120_minutes() -> None:
    with pytest.raises(IntegrityError):
        ProtocolFactory(esketamine=True, minimum_monitoring_minutes=90)


def test_the_dosing_policy_defaults_follow_clinical_md() -> None:
    policy = DosingPolicy.current()
    assert (policy.predose_systolic_maximum, policy.predose_diastolic_maximum) == (140, 90)
    assert (policy.fasting_solids_hours, policy.clear_liquids_hours) == (6, 2)
    assert DosingPolicy.current().pk == policy.pk


def test_superusers_edit_set_up_data_in_the_django_admin(
    client: Client, clinic_admin: User
) -> None:
    # Django's admin is for superusers only (issue 17); a clinic admin is sent away.
    client.force_login(clinic_admin)
    assert client.get("/admin/kap_sessions/protocol/").status_code == 302
    superuser = User.objects.create_superuser(
        "root@example.org", "a-long-test-passphrase", full_name="Test Superuser"
    )
    client.force_login(superuser)
    for path in [
        "/admin/kap_sessions/protocol/",
        "/admin/kap_sessions/location/",
        "/admin/kap_sessions/staffworkinghours/",
        "/admin/kap_sessions/stafftimeoff/",
        f"/admin/kap_sessions/dosingpolicy/{DosingPolicy.current().pk}/change/",
    ]:
        assert client.get(path).status_code == 200, path
    response = client.post(
        f"/admin/kap_sessions/dosingpolicy/{DosingPolicy.current().pk}/change/",
        {
            "predose_systolic_maximum": 150,
            "predose_diastolic_maximum": 95,
            "fasting_solids_hours": 8,
            "clear_liquids_hours": 2,
            "no_driving_text": "No driving for 24 hours.",
            "discharge_systolic_margin": 20,
            # The dosing-day numbers of issue 11 are the clinic's to change here too.
            "discharge_diastolic_margin": 12,
            "discharge_assessment_minutes": 15,
            "discharge_cadss6_maximum": 1,
            "check_in_opens_minutes": 90,
            "clock_skew_minutes": 5,
            "weight_change_percent": 10,
            "pregnancy_test_required": "on",
            "pregnancy_test_valid_days": 1,
            "integration_prompt_time": "19:00",
            "next_morning_checkin_time": "09:00",
            **MONITORING_POLICY,
        },
    )
    assert response.status_code == 302
    assert DosingPolicy.current().predose_systolic_maximum == 150
    assert DosingPolicy.current().check_in_opens_minutes == 90
    assert DosingPolicy.current().discharge_cadss6_maximum == 1


def test_staff_other_than_clinic_admins_cannot_open_the_admin(
    client: Client, front_desk: User
) -> None:
    client.force_login(front_desk)
    response = client.get("/admin/kap_sessions/protocol/")
    assert response.status_code == 302
