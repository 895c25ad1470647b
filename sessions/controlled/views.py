"""Controlled-substance ledger pages: stock, movements, counts, discrepancies and reports.
Views audit reads (every read of the ledger); the services audit writes."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from functools import wraps
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from intake.models import Patient
from kap_clinic.accounts.access import AuthenticatedRequest, permission_required
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.clinic.records import record_form, record_list
from kap_clinic.pdf import pdf_response
from kap_clinic.templatetags.clinic_time import when
from sessions.controlled import selectors, services
from sessions.controlled.forms import (
    CountForm,
    DisposalForm,
    IncidentResolveForm,
    LedgerPolicyForm,
    ProductForm,
    ReceiptForm,
    ReverseForm,
    SafeForm,
    TransferForm,
    WasteForm,
)
from sessions.controlled.models import (
    EntryKind,
    Incident,
    LedgerEntry,
    LedgerPolicy,
    Product,
    Safe,
    StockLot,
)
from sessions.controlled.permissions import POST, RESOLVE, can_read_ledger

View = Callable[..., HttpResponse]
LEDGER = "kap_sessions.ledgerentry"


def ledger_reader(view: View) -> View:
    """Prescribers, holders of the controlled-substance permission and clinic admins; 403 else."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_read_ledger(request.user):  # type: ignore[arg-type]
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _read(request: AuthenticatedRequest, detail: str, *, export: bool = False) -> None:
    audit_record(
        action=AuditAction.EXPORT if export else AuditAction.READ,
        request=request,
        object_type=LEDGER,
        detail=f"ledger: {detail}"[:300],
    )


def _errors(error: ValidationError) -> list[str]:
    return list(error.messages)


def _amount(quantity: Decimal, unit: str) -> str:
    return f"{quantity.normalize():+f} {unit}" if quantity else f"0 {unit}"


def _number(quantity: Decimal) -> str:
    return f"{quantity.normalize():f}"


# ------------------------------------------------------------------------------------------------
# Rows shared by the pages, the CSV and the PDF


HEADER = ["When", "Movement", "Product", "Lot", "Safe", "Quantity", "Balance", "By", "Witness"]
DETAIL = "Details"


def _details(entry: LedgerEntry) -> str:
    parts = []
    unit = entry.stock_lot.product.unit_label
    if entry.kind == EntryKind.RECEIPT:
        parts.append(f"from {entry.supplier}, invoice {entry.invoice_number}")
    if entry.dose is not None:
        given = _number(entry.given_quantity or Decimal(0))
        wasted = _number(entry.wasted_quantity or Decimal(0))
        patient = entry.dose.dosing_record.appointment.patient
        parts.append(
            f"{patient.display_name} (MRN {patient.mrn}): {entry.dose.dose_mg.normalize():f} mg "
            f"given by {entry.dose.given_by.full_name}; {given} {unit} given, {wasted} {unit} "
            "wasted"
        )
    if entry.reverses is not None:
        parts.append(
            f"reverses the {entry.reverses.get_kind_display().lower()} of "
            f"{when(entry.reverses.recorded_at, _zone())}"
        )
    if entry.reference:
        parts.append(f"reference {entry.reference}")
    if entry.reason:
        parts.append(entry.reason)
    return "; ".join(parts)


def _row(entry: LedgerEntry, balance: Decimal | None = None) -> list[str]:
    lot = entry.stock_lot
    unit = lot.product.unit_label
    return [
        when(entry.recorded_at, _zone()),
        entry.get_kind_display(),
        lot.product.name,
        lot.lot_number,
        lot.safe.name,
        _amount(entry.quantity, unit),
        f"{_number(entry.balance_after if balance is None else balance)} {unit}",
        entry.recorded_by.full_name,
        entry.witness.full_name if entry.witness else "",
        _details(entry),
    ]


def _report(
    request: AuthenticatedRequest,
    *,
    title: str,
    subtitle: str,
    rows: list[list[str]],
    filename: str,
    entries: list[LedgerEntry],
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """The same rows as a page, a CSV (?format=csv) or a PDF (?format=pdf), each audited."""
    fmt = request.GET.get("format", "")
    if fmt == "csv":
        _read(request, f"{title} CSV, {len(rows)} entries", export=True)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        response["Cache-Control"] = "no-store"
        writer = csv.writer(response)
        writer.writerow([*HEADER, DETAIL])
        writer.writerows(rows)
        return response
    context = {
        "title": title,
        "subtitle": subtitle,
        "header": HEADER,
        "rows": rows,
        **(extra or {}),
    }
    if fmt == "pdf":
        _read(request, f"{title} PDF, {len(rows)} entries", export=True)
        return pdf_response(
            request, "kap_sessions/controlled/pdf/report.html", context, filename=f"{filename}.pdf"
        )
    _read(request, f"{title}, {len(rows)} entries")
    can_post = request.user.has_perm(POST)
    context["items"] = [
        {
            "cells": row,
            "reverse_url": reverse("sessions:ledger:entry_reverse", args=[entry.uuid])
            if can_post
            else "",
        }
        for row, entry in zip(rows, entries, strict=True)
    ]
    return render(request, "kap_sessions/controlled/report.html", context)


# ------------------------------------------------------------------------------------------------
# Stock


@ledger_reader
def ledger_index(request: AuthenticatedRequest) -> HttpResponse:
    lots = list(selectors.stock_overview())
    held = selectors.held_lot_ids()
    policy = LedgerPolicy.current()
    last_inventory = selectors.last_full_inventory()
    _read(request, f"stock, {len(lots)} lots")
    return render(
        request,
        "kap_sessions/controlled/index.html",
        {
            "lots": [
                {
                    "lot": lot,
                    "balance": f"{_number(lot.balance)} {lot.product.unit_label}",
                    "held": lot.id in held,
                }
                for lot in lots
            ],
            "incidents": list(selectors.open_incidents()),
            "safes": list(Safe.objects.filter(is_active=True).select_related("location")),
            "products": list(Product.objects.all()),
            "counts": list(selectors.recent_counts()),
            "policy": policy,
            "last_inventory": last_inventory,
            "inventory_due_on": (
                timezone.localdate(last_inventory.counted_at, _zone())
                + timedelta(days=policy.full_inventory_every_days)
                if last_inventory
                else None
            ),
            "can_post": request.user.has_perm(POST),
            "can_resolve": request.user.has_perm(RESOLVE),
            "zone": _zone(),
        },
    )


# ------------------------------------------------------------------------------------------------
# Movements


def _movement(
    request: AuthenticatedRequest,
    *,
    form: django_forms.Form,
    title: str,
    intro: str,
    post: Callable[[dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    errors: list[str] = []
    if request.method == "POST":
        if form.is_valid():
            try:
                post(form.cleaned_data)
            except ValidationError as error:
                errors = _errors(error)
            else:
                messages.success(request, done)
                return redirect("sessions:ledger:index")
        else:
            errors = ["Check the highlighted fields."]
    return render(
        request,
        "kap_sessions/controlled/movement.html",
        {"form": form, "title": title, "intro": intro, "errors": errors},
        status=400 if errors else 200,
    )


@permission_required(POST)
def receipt_create(request: AuthenticatedRequest) -> HttpResponse:
    def post(data: dict[str, Any]) -> object:
        return services.receipt_post(by=request.user, **data)

    return _movement(
        request,
        form=ReceiptForm(request.POST or None),
        title="Record a receipt",
        intro="Stock received from a supplier, counted into a safe.",
        post=post,
        done="Receipt recorded.",
    )


@permission_required(POST)
def waste_create(request: AuthenticatedRequest) -> HttpResponse:
    def post(data: dict[str, Any]) -> object:
        return services.waste_post(
            stock_lot=data["stock_lot"],
            quantity=data["quantity"],
            reason=data["reason"],
            witness=data["witness"],
            witness_password=data["witness_password"],
            by=request.user,
        )

    return _movement(
        request,
        form=WasteForm(request.POST or None),
        title="Record waste",
        intro="Both sign: the witness enters their own password.",
        post=post,
        done="Waste recorded.",
    )


@permission_required(POST)
def transfer_create(request: AuthenticatedRequest) -> HttpResponse:
    def post(data: dict[str, Any]) -> object:
        return services.transfer_post(by=request.user, **data)

    return _movement(
        request,
        form=TransferForm(request.POST or None),
        title="Transfer between safes",
        intro="Moves part of a lot from one safe to another.",
        post=post,
        done="Transfer recorded.",
    )


@permission_required(POST)
def disposal_create(request: AuthenticatedRequest) -> HttpResponse:
    def post(data: dict[str, Any]) -> object:
        return services.disposal_post(by=request.user, **data)

    return _movement(
        request,
        form=DisposalForm(request.POST or None),
        title="Return or destruction",
        intro="Witnessed: the witness enters their own password.",
        post=post,
        done="Recorded.",
    )


@permission_required(POST)
def entry_reverse(request: AuthenticatedRequest, entry_uuid: UUID) -> HttpResponse:
    entry = get_object_or_404(selectors.lot_entries_all(), uuid=entry_uuid)

    def post(data: dict[str, Any]) -> object:
        return services.entry_reverse(entry=entry, reason=data["reason"], by=request.user)

    _read(request, f"entry {entry.uuid}")
    return _movement(
        request,
        form=ReverseForm(request.POST or None),
        title=f"Reverse: {' · '.join(_row(entry)[:7])}",
        intro="An entry is never changed: a reversing entry of the opposite quantity is posted.",
        post=post,
        done="Reversing entry posted.",
    )


# ------------------------------------------------------------------------------------------------
# Counts and discrepancies


@permission_required(POST)
def count_create(request: AuthenticatedRequest, safe_uuid: UUID) -> HttpResponse:
    safe = get_object_or_404(Safe.objects.select_related("location"), uuid=safe_uuid)
    lots = list(StockLot.objects.filter(safe=safe).select_related("product").order_by("id"))
    form = CountForm(request.POST or None, lots=lots)
    errors: list[str] = []
    if request.method == "POST":
        if form.is_valid():
            try:
                _, incidents = services.count_record(
                    safe=safe,
                    kind=form.cleaned_data["kind"],
                    counted=form.counted(),
                    by=request.user,
                )
            except ValidationError as error:
                errors = _errors(error)
            else:
                if incidents:
                    messages.error(
                        request,
                        "The count does not match the ledger for "
                        + ", ".join(f"lot {i.stock_lot.lot_number}" for i in incidents)
                        + ": no dose from these lots until a clinic admin resolves it.",
                    )
                else:
                    messages.success(request, "Count recorded: it matches the ledger.")
                return redirect("sessions:ledger:index")
        else:
            errors = ["Check the highlighted fields."]
    return render(
        request,
        "kap_sessions/controlled/movement.html",
        {
            "form": form,
            "title": f"Count {safe.name}",
            "intro": "Count what is in the safe and enter it; the ledger's balance is compared "
            "after you record the count.",
            "errors": errors,
        },
        status=400 if errors else 200,
    )


@permission_required(RESOLVE)
def incident_resolve(request: AuthenticatedRequest, incident_uuid: UUID) -> HttpResponse:
    incident = get_object_or_404(
        Incident.objects.select_related("stock_lot__product", "stock_lot__safe", "count_line"),
        uuid=incident_uuid,
    )
    line = incident.count_line
    unit = incident.stock_lot.product.unit_label
    form = IncidentResolveForm(request.POST or None)

    def post(data: dict[str, Any]) -> object:
        return services.incident_resolve(incident=incident, by=request.user, **data)

    _read(request, f"discrepancy {incident.uuid}")
    return _movement(
        request,
        form=form,
        title=f"Discrepancy in {incident.stock_lot}",
        intro=f"Counted {_number(line.counted)} {unit}, the ledger held {_number(line.expected)} "
        f"{unit}. A shortfall is posted as a loss with the loss or theft report's reference.",
        post=post,
        done="Discrepancy resolved; the lot is released.",
    )


# ------------------------------------------------------------------------------------------------
# Reports


@ledger_reader
def lot_ledger(request: AuthenticatedRequest, lot_uuid: UUID) -> HttpResponse:
    stock_lot = get_object_or_404(
        StockLot.objects.select_related("product", "safe__location"), uuid=lot_uuid
    )
    entries = list(selectors.lot_entries(stock_lot=stock_lot))
    rows = [_row(entry) for entry in entries]
    return _report(
        request,
        entries=entries,
        title=f"Ledger of lot {stock_lot.lot_number}",
        subtitle=f"{stock_lot.product} · {stock_lot.product.strength_label} · {stock_lot.safe} · "
        f"expires {stock_lot.expires_on:%d %b %Y}",
        rows=rows,
        filename=f"ledger-lot-{stock_lot.lot_number}",
    )


@ledger_reader
def product_ledger(request: AuthenticatedRequest, product_uuid: UUID) -> HttpResponse:
    product = get_object_or_404(Product, uuid=product_uuid)
    pairs = selectors.product_entries(product_id=product.id)
    rows = [_row(entry, balance) for entry, balance in pairs]
    return _report(
        request,
        entries=[entry for entry, _ in pairs],
        title=f"Ledger of {product.name}",
        subtitle=f"NDC {product.ndc} · {product.strength_label} · balance across all lots "
        "and safes",
        rows=rows,
        filename=f"ledger-{product.ndc}",
    )


@ledger_reader
def dispensing_log(request: AuthenticatedRequest) -> HttpResponse:
    patient = clinician = None
    if request.GET.get("patient"):
        try:
            patient = get_object_or_404(Patient, uuid=UUID(request.GET["patient"]))
        except ValueError:
            patient = None
    if request.GET.get("clinician"):
        try:
            clinician = get_object_or_404(User, uuid=UUID(request.GET["clinician"]))
        except ValueError:
            clinician = None
    entries = selectors.dispensing_log(
        patient_id=patient.id if patient else None, clinician_id=clinician.id if clinician else None
    )
    administrations = list(entries)
    rows = [_row(entry) for entry in administrations]
    subtitle = "Every administration"
    if patient is not None:
        subtitle = f"Patient {patient.display_name} (MRN {patient.mrn})"
    if clinician is not None:
        subtitle += f" · given by {clinician.full_name}"
    return _report(
        request,
        title="Dispensing log",
        subtitle=subtitle,
        rows=rows,
        filename="dispensing-log",
        entries=administrations,
        extra={
            "filters": {
                "patients": selectors.dosed_patients(),
                "clinicians": selectors.dosing_clinicians(),
                "patient": patient,
                "clinician": clinician,
            }
        },
    )


# ------------------------------------------------------------------------------------------------
# Set-up: safes, products, the count policy


SET_UP = "kap_sessions.change_safe"


@permission_required("kap_sessions.view_safe")
def safe_list(request: AuthenticatedRequest) -> HttpResponse:
    return record_list(
        request,
        title="Controlled-substance safes",
        intro="The locked storage places of each location.",
        queryset=Safe.objects.select_related("location"),
        columns=[
            ("Location", lambda safe: safe.location.name),
            ("Safe", lambda safe: safe.name),
            ("In use", lambda safe: "Yes" if safe.is_active else "No"),
        ],
        edit_url=lambda safe: reverse("sessions:ledger:safe_edit", args=[safe.uuid]),
        create_url=reverse("sessions:ledger:safe_create"),
        create_label="Add a safe",
    )


@permission_required("kap_sessions.add_safe")
def safe_create(request: AuthenticatedRequest) -> HttpResponse:
    return _setup_form(request, SafeForm, None, "safe", "sessions:ledger:safe_list", "Safes")


@permission_required(SET_UP)
def safe_edit(request: AuthenticatedRequest, safe_uuid: UUID) -> HttpResponse:
    safe = get_object_or_404(Safe, uuid=safe_uuid)
    return _setup_form(request, SafeForm, safe, "safe", "sessions:ledger:safe_list", "Safes")


@permission_required("kap_sessions.view_product")
def product_list(request: AuthenticatedRequest) -> HttpResponse:
    return record_list(
        request,
        title="Controlled-substance products",
        intro="Esketamine is counted in devices, ketamine solution in mL (with its mg per mL).",
        queryset=Product.objects.all(),
        columns=[
            ("Product", lambda product: product.name),
            ("NDC", lambda product: product.ndc),
            ("Strength", lambda product: product.strength_label),
            ("Form", lambda product: product.get_form_display()),
            ("Counted in", lambda product: product.get_counting_unit_display()),
            ("In use", lambda product: "Yes" if product.is_active else "No"),
        ],
        edit_url=lambda product: reverse("sessions:ledger:product_edit", args=[product.uuid]),
        create_url=reverse("sessions:ledger:product_create"),
        create_label="Add a product",
    )


@permission_required("kap_sessions.add_product")
def product_create(request: AuthenticatedRequest) -> HttpResponse:
    return _setup_form(
        request, ProductForm, None, "product", "sessions:ledger:product_list", "Products"
    )


@permission_required("kap_sessions.change_product")
def product_edit(request: AuthenticatedRequest, product_uuid: UUID) -> HttpResponse:
    product = get_object_or_404(Product, uuid=product_uuid)
    return _setup_form(
        request, ProductForm, product, "product", "sessions:ledger:product_list", "Products"
    )


@permission_required("kap_sessions.change_ledgerpolicy")
def policy_edit(request: AuthenticatedRequest) -> HttpResponse:
    back = reverse("sessions:ledger:index")
    return record_form(
        request,
        form_class=LedgerPolicyForm,
        instance=LedgerPolicy.current(),
        title="Controlled-substance counts",
        what="count policy",
        back_url=back,
        back_label="Controlled substances",
        done_url=back,
    )


def _setup_form(
    request: AuthenticatedRequest,
    form_class: Any,
    instance: Any,
    what: str,
    list_url: str,
    back_label: str,
) -> HttpResponse:
    back = reverse(list_url)
    return record_form(
        request,
        form_class=form_class,
        instance=instance,
        title=f"Edit {instance}" if instance else f"New {what}",
        what=what,
        back_url=back,
        back_label=back_label,
        done_url=back,
    )
