"""Clinic-editable note templates and reflection prompts. Notes themselves are not in the admin."""

from django.contrib import admin

from integration.models import (
    MeasureSchedule,
    NoteTemplate,
    OutcomeDefinition,
    OutcomePolicy,
    Practice,
    PracticeProgramme,
    ReflectionPrompt,
)


@admin.register(NoteTemplate)
class NoteTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_default", "is_active"]
    list_filter = ["kind", "is_active"]


@admin.register(ReflectionPrompt)
class ReflectionPromptAdmin(admin.ModelAdmin):
    list_display = ["text", "is_active"]


@admin.register(MeasureSchedule)
class MeasureScheduleAdmin(admin.ModelAdmin):
    list_display = ["protocol", "instrument_key", "occasion"]
    list_filter = ["protocol"]


@admin.register(OutcomeDefinition)
class OutcomeDefinitionAdmin(admin.ModelAdmin):
    list_display = [
        "instrument_key",
        "response_fall_percent",
        "remission_rule",
        "remission_value",
        "verified",
        "source",
    ]


@admin.register(OutcomePolicy)
class OutcomePolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "follow_up_days", "baseline_window_days", "deterioration_rise"]


class PracticeInline(admin.TabularInline):
    model = Practice
    extra = 1


@admin.register(PracticeProgramme)
class PracticeProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active"]
    inlines = [PracticeInline]
