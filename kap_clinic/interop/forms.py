from django import forms

from kap_clinic.interop.models import RecordRequest


class RecordRequestForm(forms.ModelForm):
    class Meta:
        model = RecordRequest
        fields = ["recipient_name", "recipient_contact", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}
