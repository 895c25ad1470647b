"""Plain set-up records (protocols, dosing policy, note templates, reflection prompts): one
list page and one form page each, for the apps that own them, with the audited save service.

The owning app keeps its model, form and URL; this module only shares the page shapes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render

from kap_clinic.accounts.access import AuthenticatedRequest
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record


@transaction.atomic
def setup_record_save(*, form: forms.ModelForm, by: User, what: str) -> Model:
    """Saves a validated set-up form and audits it in the same transaction."""
    created = form.instance.pk is None
    instance = form.save()
    audit_record(
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        actor=by,
        obj=instance,
        detail=f"{what} {'added' if created else 'changed'}",
    )
    return instance


def record_list(
    request: AuthenticatedRequest,
    *,
    title: str,
    intro: str,
    queryset: QuerySet[Any],
    columns: Sequence[tuple[str, Callable[[Any], Any]]],
    edit_url: Callable[[Any], str],
    create_url: str,
    create_label: str,
) -> HttpResponse:
    rows = [
        {"cells": [value(item) for _, value in columns], "url": edit_url(item), "name": str(item)}
        for item in queryset
    ]
    return render(
        request,
        "clinic/record_list.html",
        {
            "title": title,
            "intro": intro,
            "headers": [label for label, _ in columns],
            "rows": rows,
            "create_url": create_url,
            "create_label": create_label,
        },
    )


def record_form(
    request: AuthenticatedRequest,
    *,
    form_class: type[forms.ModelForm],
    instance: Model | None,
    title: str,
    what: str,
    back_url: str,
    back_label: str,
    done_url: str,
) -> HttpResponse:
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        setup_record_save(form=form, by=request.user, what=what)
        messages.success(request, f"{what.capitalize()} saved.")
        return redirect(done_url)
    return render(
        request,
        "clinic/record_form.html",
        {"form": form, "title": title, "back_url": back_url, "back_label": back_label},
    )
