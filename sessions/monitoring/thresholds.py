"""Which vital signs raise an alarm: the label's rise from baseline and the clinic's limits."""

from __future__ import annotations

from dataclasses import dataclass

from sessions.models import DosingPolicy
from sessions.monitoring.models import VitalsAlertKind


@dataclass(frozen=True)
class Reading:
    blood_pressure_systolic: int
    blood_pressure_diastolic: int
    heart_rate: int
    spo2: int
    respiratory_rate: int | None = None


@dataclass(frozen=True)
class Breach:
    kind: str
    message: str


def vitals_breaches(
    reading: Reading,
    *,
    baseline_systolic: int | None,
    baseline_diastolic: int | None,
    policy: DosingPolicy,
) -> list[Breach]:
    """Every limit the reading passes. Limits are DosingPolicy settings; the rise from baseline
    is the label's (>= 40 systolic or >= 25 diastolic, CLINICAL.md)."""
    breaches = []
    systolic = reading.blood_pressure_systolic
    diastolic = reading.blood_pressure_diastolic
    if baseline_systolic is not None and systolic - baseline_systolic >= policy.alert_systolic_rise:
        breaches.append(
            Breach(
                VitalsAlertKind.SYSTOLIC_RISE,
                f"Systolic BP {systolic} is {systolic - baseline_systolic} mmHg above baseline "
                f"{baseline_systolic} (alert at +{policy.alert_systolic_rise}).",
            )
        )
    if (
        baseline_diastolic is not None
        and diastolic - baseline_diastolic >= policy.alert_diastolic_rise
    ):
        breaches.append(
            Breach(
                VitalsAlertKind.DIASTOLIC_RISE,
                f"Diastolic BP {diastolic} is {diastolic - baseline_diastolic} mmHg above "
                f"baseline {baseline_diastolic} (alert at +{policy.alert_diastolic_rise}).",
            )
        )
    if systolic >= policy.alert_systolic_at_or_above:
        breaches.append(
            Breach(
                VitalsAlertKind.SYSTOLIC_HIGH,
                f"Systolic BP {systolic} (alert at {policy.alert_systolic_at_or_above} or more).",
            )
        )
    if diastolic >= policy.alert_diastolic_at_or_above:
        breaches.append(
            Breach(
                VitalsAlertKind.DIASTOLIC_HIGH,
                f"Diastolic BP {diastolic} "
                f"(alert at {policy.alert_diastolic_at_or_above} or more).",
            )
        )
    if reading.spo2 < policy.alert_spo2_below:
        breaches.append(
            Breach(
                VitalsAlertKind.SPO2_LOW,
                f"SpO2 {reading.spo2} % (alert below {policy.alert_spo2_below} %).",
            )
        )
    if reading.heart_rate > policy.alert_heart_rate_above:
        breaches.append(
            Breach(
                VitalsAlertKind.HEART_RATE_HIGH,
                f"Heart rate {reading.heart_rate} (alert above {policy.alert_heart_rate_above}).",
            )
        )
    if reading.heart_rate < policy.alert_heart_rate_below:
        breaches.append(
            Breach(
                VitalsAlertKind.HEART_RATE_LOW,
                f"Heart rate {reading.heart_rate} (alert below {policy.alert_heart_rate_below}).",
            )
        )
    if (
        reading.respiratory_rate is not None
        and reading.respiratory_rate < policy.alert_respiratory_rate_below
    ):
        breaches.append(
            Breach(
                VitalsAlertKind.RESPIRATORY_RATE_LOW,
                f"Respiratory rate {reading.respiratory_rate} "
                f"(alert below {policy.alert_respiratory_rate_below}).",
            )
        )
    return breaches
