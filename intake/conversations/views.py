"""Secure messages: the patient's inbox and threads, and the care team's replies from the chart."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from intake.conversations import services
from intake.conversations.models import MESSAGE_MAX, Thread
from intake.conversations.selectors import thread_get, threads_visible_to
from intake.models import Patient
from intake.selectors import patient_get
from kap_clinic.accounts.access import AuthenticatedRequest, role_required
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.crisis import crisis_contacts


class ThreadForm(forms.Form):
    subject = forms.CharField(label="Subject", max_length=150)
    body = forms.CharField(
        label="Message",
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Text only: attachments cannot be sent here.",
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Your reply",
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Text only: attachments cannot be sent here.",
    )


def thread_url(thread: Thread, *, for_patient: bool) -> str:
    if for_patient:
        return reverse("intake:my_thread", args=[thread.uuid])
    return reverse("intake:thread_detail", args=[thread.patient.uuid, thread.uuid])


def _own_patient(request: AuthenticatedRequest) -> Patient:
    return patient_get(user=request.user, patient_uuid=Patient.objects.get(user=request.user).uuid)


@role_required(Role.PATIENT)
def my_threads(request: AuthenticatedRequest) -> HttpResponse:
    patient = _own_patient(request)
    form = ThreadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            thread = services.thread_start(patient=patient, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Sent. Your care team will reply during clinic hours.")
            return redirect("intake:my_thread", thread.uuid)
    threads = threads_visible_to(user=request.user).filter(patient=patient)
    audit_record(action=AuditAction.READ, request=request, obj=patient, detail="messages listed")
    return render(
        request,
        "intake/conversations/my_threads.html",
        {"threads": threads, "form": form, "crisis": crisis_contacts()},
        status=400 if form.errors else 200,
    )


def _thread_page(
    request: AuthenticatedRequest, thread: Thread, *, for_patient: bool
) -> HttpResponse:
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.thread_reply(thread=thread, body=form.cleaned_data["body"], by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Reply sent.")
            return redirect(thread_url(thread, for_patient=for_patient))
    # Every read of a thread is a read of the record.
    audit_record(action=AuditAction.READ, request=request, obj=thread, detail="messages read")
    return render(
        request,
        "intake/conversations/thread.html",
        {
            "thread": thread,
            "patient": thread.patient,
            "form": form,
            "for_patient": for_patient,
            "crisis": crisis_contacts(),
        },
        status=400 if form.errors else 200,
    )


@role_required(Role.PATIENT)
def my_thread(request: AuthenticatedRequest, thread_uuid: UUID) -> HttpResponse:
    return _thread_page(
        request, thread_get(user=request.user, thread_uuid=thread_uuid), for_patient=True
    )


@role_required(Role.FRONT_DESK, Role.THERAPIST, Role.PRESCRIBER, Role.CLINIC_ADMIN)
def thread_detail(
    request: AuthenticatedRequest, patient_uuid: UUID, thread_uuid: UUID
) -> HttpResponse:
    thread = thread_get(user=request.user, thread_uuid=thread_uuid)
    if thread.patient.uuid != patient_uuid:
        return redirect(thread_url(thread, for_patient=False))
    return _thread_page(request, thread, for_patient=False)


@role_required(Role.FRONT_DESK, Role.THERAPIST, Role.PRESCRIBER, Role.CLINIC_ADMIN)
def thread_create(request: AuthenticatedRequest, patient_uuid: UUID) -> HttpResponse:
    """Staff write to the patient from the chart's Messages section."""
    patient = patient_get(user=request.user, patient_uuid=patient_uuid)
    form = ThreadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            thread = services.thread_start(patient=patient, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Sent to the patient.")
            return redirect(thread_url(thread, for_patient=False))
    return render(
        request,
        "intake/conversations/thread_create.html",
        {"patient": patient, "form": form},
        status=400 if form.errors else 200,
    )
