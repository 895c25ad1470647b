"""Clinic-editable note templates and reflection prompts. Notes themselves are not in the admin."""

from django.contrib import admin

from integration.models import NoteTemplate, ReflectionPrompt


@admin.register(NoteTemplate)
class NoteTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_default", "is_active"]
    list_filter = ["kind", "is_active"]


@admin.register(ReflectionPrompt)
class ReflectionPromptAdmin(admin.ModelAdmin):
    list_display = ["text", "is_active"]
