import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kap_clinic.settings")

application = get_asgi_application()

from kap_clinic.startup import production_backends_check  # noqa: E402  (needs settings loaded)

production_backends_check()
