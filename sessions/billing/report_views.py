"""The billing report page and its CSV export: clinic admins and the billing permission."""

from __future__ import annotations

import csv
from datetime import date
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from kap_clinic.accounts.access import AuthenticatedRequest
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from sessions.billing import reports

MANAGE = "kap_sessions.manage_billing"
# A year and a little: a longer report is a data export, not a page.
LONGEST_PERIOD_DAYS = 400


class ReportPeriodForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.add_input(Submit("submit", "Show", css_class="btn-primary"))

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The last day comes on or after the first day.")
            elif (end - start).days > LONGEST_PERIOD_DAYS:
                self.add_error("end", f"Choose at most {LONGEST_PERIOD_DAYS} days.")
        return cleaned


def _billing_staff(request: AuthenticatedRequest) -> None:
    if not (request.user.is_clinic_admin or request.user.has_perm(MANAGE)):
        raise PermissionDenied


def _period_form(request: AuthenticatedRequest) -> ReportPeriodForm:
    """The period asked for, or by default this month so far (clinic's zone)."""
    if "start" in request.GET or "end" in request.GET:
        return ReportPeriodForm(request.GET)
    today = timezone.now().astimezone(reports.clinic_zone()).date()
    return ReportPeriodForm({"start": today.replace(day=1), "end": today})


def _render(
    request: AuthenticatedRequest, form: ReportPeriodForm, report: reports.BillingReport | None
) -> HttpResponse:
    return render(
        request,
        "kap_sessions/billing/report.html",
        {"form": form, "report": report, "query": request.GET.urlencode()},
        status=200 if form.is_valid() else 400,
    )


@login_required
def billing_report(request: AuthenticatedRequest) -> HttpResponse:
    _billing_staff(request)
    form = _period_form(request)
    if not form.is_valid():
        return _render(request, form, None)
    start: date = form.cleaned_data["start"]
    end: date = form.cleaned_data["end"]
    report = reports.billing_report(start=start, end=end)
    audit_record(
        action=AuditAction.READ,
        request=request,
        object_type="kap_sessions.billingreport",
        detail=f"billing report {start.isoformat()} to {end.isoformat()}",
    )
    return _render(request, form, report)


@login_required
def billing_report_csv(request: AuthenticatedRequest) -> HttpResponse:
    _billing_staff(request)
    form = _period_form(request)
    if not form.is_valid():
        return _render(request, form, None)
    start: date = form.cleaned_data["start"]
    end: date = form.cleaned_data["end"]
    report = reports.billing_report(start=start, end=end)
    table = reports.csv_rows(report)
    audit_record(
        action=AuditAction.EXPORT,
        request=request,
        object_type="kap_sessions.billingreport",
        detail=f"billing report CSV {start.isoformat()} to {end.isoformat()}, {len(table)} rows",
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="billing-{start.isoformat()}-{end.isoformat()}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(reports.CSV_HEADER)
    writer.writerows(table)
    return response
