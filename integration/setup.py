"""The integration app's part of the set-up area: note templates and reflection prompts."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse

from integration.models import NoteTemplate, ReflectionPrompt
from kap_clinic.accounts.access import AuthenticatedRequest, role_required
from kap_clinic.accounts.roles import Role
from kap_clinic.clinic.records import record_form, record_list
from kap_clinic.clinic.registry import SetupSection, setup_section_register


def _helper(label: str) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.add_input(Submit("submit", label))
    return helper


class NoteTemplateForm(forms.ModelForm):
    class Meta:
        model = NoteTemplate
        fields = ["kind", "name", "sections", "is_default", "is_active"]
        labels = {
            "kind": "Kind of note",
            "sections": "Section headings",
            "is_default": "Default for this kind of note",
            "is_active": "In use",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Save template")

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if cleaned.get("is_default") and cleaned.get("kind"):
            other = NoteTemplate.objects.filter(kind=cleaned["kind"], is_default=True).exclude(
                pk=self.instance.pk
            )
            if other.exists():
                self.add_error(
                    "is_default",
                    f"“{other.first()}” is the default already; untick it there first.",
                )
        return cleaned


class ReflectionPromptForm(forms.ModelForm):
    class Meta:
        model = ReflectionPrompt
        fields = ["text", "is_active"]
        labels = {"text": "Question for patients", "is_active": "Offered to patients"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Save prompt")


@role_required(Role.CLINIC_ADMIN)
def note_template_list(request: AuthenticatedRequest) -> HttpResponse:
    return record_list(
        request,
        title="Note templates",
        intro="The section headings a new note starts with, per kind of note.",
        queryset=NoteTemplate.objects.all(),
        columns=[
            ("Template", lambda template: template.name),
            ("Kind of note", lambda template: template.get_kind_display()),
            ("Default", lambda template: "Yes" if template.is_default else "No"),
            ("In use", lambda template: "Yes" if template.is_active else "No"),
        ],
        edit_url=lambda template: reverse("integration:note_template_edit", args=[template.uuid]),
        create_url=reverse("integration:note_template_create"),
        create_label="Add a template",
    )


def _note_template_form(
    request: AuthenticatedRequest, template: NoteTemplate | None
) -> HttpResponse:
    back = reverse("integration:note_template_list")
    return record_form(
        request,
        form_class=NoteTemplateForm,
        instance=template,
        title=f"Edit {template.name}" if template else "New note template",
        what="note template",
        back_url=back,
        back_label="Note templates",
        done_url=back,
    )


@role_required(Role.CLINIC_ADMIN)
def note_template_create(request: AuthenticatedRequest) -> HttpResponse:
    return _note_template_form(request, None)


@role_required(Role.CLINIC_ADMIN)
def note_template_edit(request: AuthenticatedRequest, template_uuid: UUID) -> HttpResponse:
    return _note_template_form(request, get_object_or_404(NoteTemplate, uuid=template_uuid))


@role_required(Role.CLINIC_ADMIN)
def reflection_prompt_list(request: AuthenticatedRequest) -> HttpResponse:
    return record_list(
        request,
        title="Reflection prompts",
        intro="Questions patients may choose to write about between sessions.",
        queryset=ReflectionPrompt.objects.all(),
        columns=[
            ("Question", lambda prompt: prompt.text),
            ("Offered", lambda prompt: "Yes" if prompt.is_active else "No"),
        ],
        edit_url=lambda prompt: reverse("integration:reflection_prompt_edit", args=[prompt.uuid]),
        create_url=reverse("integration:reflection_prompt_create"),
        create_label="Add a prompt",
    )


def _prompt_form(request: AuthenticatedRequest, prompt: ReflectionPrompt | None) -> HttpResponse:
    back = reverse("integration:reflection_prompt_list")
    return record_form(
        request,
        form_class=ReflectionPromptForm,
        instance=prompt,
        title="Edit reflection prompt" if prompt else "New reflection prompt",
        what="reflection prompt",
        back_url=back,
        back_label="Reflection prompts",
        done_url=back,
    )


@role_required(Role.CLINIC_ADMIN)
def reflection_prompt_create(request: AuthenticatedRequest) -> HttpResponse:
    return _prompt_form(request, None)


@role_required(Role.CLINIC_ADMIN)
def reflection_prompt_edit(request: AuthenticatedRequest, prompt_uuid: UUID) -> HttpResponse:
    return _prompt_form(request, get_object_or_404(ReflectionPrompt, uuid=prompt_uuid))


urlpatterns = [
    path("setup/note-templates/", note_template_list, name="note_template_list"),
    path("setup/note-templates/new/", note_template_create, name="note_template_create"),
    path(
        "setup/note-templates/<uuid:template_uuid>/", note_template_edit, name="note_template_edit"
    ),
    path("setup/reflection-prompts/", reflection_prompt_list, name="reflection_prompt_list"),
    path(
        "setup/reflection-prompts/new/", reflection_prompt_create, name="reflection_prompt_create"
    ),
    path(
        "setup/reflection-prompts/<uuid:prompt_uuid>/",
        reflection_prompt_edit,
        name="reflection_prompt_edit",
    ),
]


def register() -> None:
    setup_section_register(
        SetupSection(
            key="integration.note_templates",
            title="Note templates",
            description="Section headings for preparation, dosing and integration notes.",
            url_name="integration:note_template_list",
            order=70,
        )
    )
    setup_section_register(
        SetupSection(
            key="integration.reflection_prompts",
            title="Reflection prompts",
            description="Questions offered to patients for their reflections.",
            url_name="integration:reflection_prompt_list",
            order=80,
        )
    )
