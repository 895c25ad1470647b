from django.apps import AppConfig


class InteropConfig(AppConfig):
    """FHIR API, patients' record requests and exports; the domain apps register their mappers."""

    name = "kap_clinic.interop"
    label = "interop"
    verbose_name = "Records and exchange"
    default_auto_field = "django.db.models.BigAutoField"
