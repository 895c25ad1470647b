from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from kap_clinic.notifications.library import template_keys_parse
from kap_clinic.notifications.models import Article


class ArticleForm(forms.ModelForm):
    template_keys = forms.CharField(
        label="Timeline steps",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Template keys of the messages that should offer this article, one per line "
        "(e.g. appointment.reminder_72h).",
    )

    class Meta:
        model = Article
        fields = ["title", "slug", "summary", "body_markdown", "published"]
        widgets = {"body_markdown": forms.Textarea(attrs={"rows": 16})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["template_keys"] = "\n".join(
                self.instance.steps.values_list("template_key", flat=True)
            )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("submit", "Save article"))

    def clean_template_keys(self) -> list[str]:
        return template_keys_parse(self.cleaned_data.get("template_keys", ""))
