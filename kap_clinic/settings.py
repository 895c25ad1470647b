"""Settings for the KAP clinic platform: one module, driven by environment variables.

Every variable is listed, with its default, in the README. Defaults are safe for development on a
laptop; production sets DEBUG=0 and must then provide SECRET_KEY and ALLOWED_HOSTS.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from kap_clinic.env import (
    env_bool,
    env_clock,
    env_database,
    env_email,
    env_int,
    env_list,
    env_str,
    env_time_zone,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DEBUG", default=False)

_DEVELOPMENT_SECRET_KEY = "development-only-secret-key-never-use-in-production"  # noqa: S105
if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", _DEVELOPMENT_SECRET_KEY)
else:
    SECRET_KEY = env_str("SECRET_KEY", "")
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    if SECRET_KEY == _DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be a random value of at least 50 characters.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")
CLINIC_NAME = env_str("CLINIC_NAME", "KAP Clinic")
# Shown wherever a patient writes (read through kap_clinic.crisis until the organisation holds it).
CRISIS_LINE = env_str("CRISIS_LINE", "988")
EMERGENCY_NUMBER = env_str("EMERGENCY_NUMBER", "911")

INSTALLED_APPS = [
    # Django's admin, for superusers only (see kap_clinic/accounts/admin_site.py).
    "kap_clinic.accounts.admin_site.KapAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # The project package itself: the composition root (seed_demo, project templates).
    "kap_clinic",
    "kap_clinic.accounts",
    "kap_clinic.audit",
    "kap_clinic.notifications",
    "kap_clinic.clinic",
    "kap_clinic.interop",
    "intake",
    # Our "sessions" app: label kap_sessions, because django.contrib.sessions owns "sessions".
    "sessions.apps.KapSessionsConfig",
    "integration",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kap_clinic.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "kap_clinic.middleware.IdleTimeoutMiddleware",
    # Staff (and enrolled patients) pass the second factor before any other page.
    "kap_clinic.accounts.mfa.middleware.SecondFactorRequiredMiddleware",
    # After the second factor: the first superuser is led through the first-run wizard.
    "kap_clinic.clinic.middleware.FirstRunMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kap_clinic.middleware.NoStoreMiddleware",
    # Last, so it sees the lockout flag set by the authentication backend.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kap_clinic.urls"
WSGI_APPLICATION = "kap_clinic.wsgi.application"
ASGI_APPLICATION = "kap_clinic.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kap_clinic.accounts.context_processors.navigation",
                "kap_clinic.clinic.context_processors.crisis_line",
                "kap_clinic.crisis.crisis_context",
            ],
            "string_if_invalid": "",
        },
    }
]

# Database: SQLite under var/ for `make run`; PostgreSQL in production and in the test suite.
DATABASES = {"default": env_database("DATABASE_URL", "sqlite:///var/db.sqlite3", base_dir=BASE_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The PostgreSQL role the application connects as, when it is not the owner that runs migrations:
# migrations revoke its right to TRUNCATE, UPDATE or DELETE the audit record (README: audit).
DATABASE_APP_ROLE = env_str("DATABASE_APP_ROLE", "")

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses sign-in while an account or address is locked out (django-axes).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Passwords seen in breaches (zxcvbn's packaged list; no network) and repetitive ones.
    {"NAME": "kap_clinic.accounts.passwords.BreachedPasswordValidator"},
    {"NAME": "kap_clinic.accounts.passwords.RepetitivePasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # a reset link lasts one day

# Idle timeouts: staff 15 minutes, patients 30 (clinic policy; see README).
# Retention: a deactivated patient's record may be purged (two admins) this many years after
# deactivation. HIPAA keeps its own documentation 6 years (45 CFR 164.316(b)(2)); state laws on
# medical records commonly ask 7 to 10 years for adults: set the clinic's own period.
RECORD_RETENTION_YEARS = env_int("RECORD_RETENTION_YEARS", 10, minimum=6, maximum=100)
# Break the glass: how long a clinician's emergency access to a chart outside their care team lasts.
EMERGENCY_ACCESS_MINUTES = env_int("EMERGENCY_ACCESS_MINUTES", 60, minimum=5, maximum=24 * 60)
STAFF_IDLE_TIMEOUT_MINUTES = env_int("STAFF_IDLE_TIMEOUT_MINUTES", 15, minimum=1, maximum=24 * 60)
PATIENT_IDLE_TIMEOUT_MINUTES = env_int(
    "PATIENT_IDLE_TIMEOUT_MINUTES", 30, minimum=1, maximum=24 * 60
)
# Sign-in lockout (django-axes), per account and per address: after LOGIN_FAILURE_LIMIT failures
# the account, and separately the address, is refused for LOGIN_LOCKOUT_MINUTES (clinic policy).
AXES_ENABLED = True
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1, maximum=100)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1, maximum=24 * 60)
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "kap_clinic.accounts.lockout.sign_in_username"
AXES_CLIENT_IP_CALLABLE = "kap_clinic.accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "kap_clinic.accounts.lockout.lockout_response"
# A success does not clear the address's count: one valid account must not unlock guessing others.
AXES_RESET_ON_SUCCESS = False
# Failures and lockouts go to our audit record; axes keeps only its counters.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# Two-factor sign-in (django-otp): required for staff, offered to patients.
OTP_TOTP_ISSUER = CLINIC_NAME
# API tokens expire after this many days (clinic policy).
API_TOKEN_LIFETIME_DAYS = env_int("API_TOKEN_LIFETIME_DAYS", 90, minimum=1, maximum=366)
SESSION_COOKIE_AGE = 60 * 60 * 12  # hard cap; the idle timeout ends sessions much sooner
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_time_zone("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
# Front-end packages are installed from the npm registry (package.json, pinned) into node_modules;
# nothing third-party is committed. They are served under static/vendor/.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
]
# Uploaded files (the clinic's logo) live under var/media and are served by the views that need
# them, behind sign-in; there is no public MEDIA_URL route.
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
# FHIR Bulk Data exports (issue 18): NDJSON files under var/exports, written in chunks of this
# many rows, deleted this many hours after they are ready (clinic policy; the Bulk Data spec
# leaves the time to the server).
EXPORT_DIR = Path(env_str("EXPORT_DIR", str(VAR_DIR / "exports")))
EXPORT_CHUNK_ROWS = env_int("EXPORT_CHUNK_ROWS", 1000, minimum=1)
EXPORT_EXPIRY_HOURS = env_int("EXPORT_EXPIRY_HOURS", 24, minimum=1)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Email: files under var/mail by default; SMTP when EMAIL_URL is set.
globals().update(env_email("EMAIL_URL", file_path=VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"{CLINIC_NAME} <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security. Production (DEBUG off) gets HTTPS-only cookies, HSTS and an HTTPS redirect.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE_HSTS_SECONDS > 0)
TRUST_X_FORWARDED_PROTO = env_bool("TRUST_X_FORWARDED_PROTO", False)
if TRUST_X_FORWARDED_PROTO:
    # Only behind our own proxy, which sets X-Forwarded-Proto and X-Forwarded-For itself.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /healthz is probed over plain HTTP inside the stack.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Celery: Redis in production and tests; with REDIS_URL unset, kombu's filesystem transport under
# var/broker, so `make run` needs no server.
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        # Longer than the longest task time limit, so an unacknowledged task is redelivered only
        # after its worker is truly gone.
        # A task a killed worker held is handed out again after this; equal to the outbox's claim
        # timeout (README, "Delivery guarantees"), longer than the task time limit (120 s).
        "visibility_timeout": env_int("MESSAGE_CLAIM_TIMEOUT_SECONDS", 180, minimum=1),
        # Workers take the queues in the order given (urgent first), not round robin.
        "queue_order_strategy": "priority",
    }
else:
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_RESULT_BACKEND = f"file://{VAR_DIR / 'celery-results'}"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }

# Notifications: non-urgent messages are held during the recipient's quiet hours, in their own
# time zone (clinic policy; 21:00-08:00 by default).
QUIET_HOURS_START = env_clock("QUIET_HOURS_START", "21:00")
QUIET_HOURS_END = env_clock("QUIET_HOURS_END", "08:00")
# Outbox delivery (clinic policy): a transient failure is retried after 30 s, then twice as long
# each time (with jitter) up to 2 h, until 24 h have passed since the first attempt; then the
# message fails visibly for staff to resend. A claim older than the claim timeout belongs to a
# worker that is gone. Messages due now are handed to the broker when their transaction commits.
MESSAGE_RETRY_FIRST_SECONDS = env_int("MESSAGE_RETRY_FIRST_SECONDS", 30, minimum=1)
MESSAGE_RETRY_MAX_SECONDS = env_int("MESSAGE_RETRY_MAX_SECONDS", 2 * 60 * 60, minimum=1)
MESSAGE_RETRY_BUDGET_SECONDS = env_int("MESSAGE_RETRY_BUDGET_SECONDS", 24 * 60 * 60, minimum=1)
MESSAGE_CLAIM_TIMEOUT_SECONDS = env_int("MESSAGE_CLAIM_TIMEOUT_SECONDS", 180, minimum=1)
MESSAGE_ENQUEUE_ON_COMMIT = env_bool("MESSAGE_ENQUEUE_ON_COMMIT", True)
# Text messages: "console" (written to the worker's output; development) or "twilio" (Twilio's
# Messages REST API, which needs the account SID, auth token and sending number below).
SMS_BACKEND = env_str("SMS_BACKEND", "console")
if SMS_BACKEND not in {"console", "twilio"}:
    raise ImproperlyConfigured(f"SMS_BACKEND must be console or twilio, got {SMS_BACKEND!r}.")
TWILIO_BASE_URL = env_str("TWILIO_BASE_URL", "https://api.twilio.com").rstrip("/")
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "")
SMS_FROM_NUMBER = env_str("SMS_FROM_NUMBER", "")
if SMS_BACKEND == "twilio" and not (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN and SMS_FROM_NUMBER):
    raise ImproperlyConfigured(
        "SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and SMS_FROM_NUMBER."
    )

# Esketamine REMS monitoring forms are sent through this backend: "console" (logs that a form
# went, answers a made-up confirmation number; development) until a fax or portal one is added.
REMS_TRANSMISSION_BACKEND = env_str("REMS_TRANSMISSION_BACKEND", "console")
if REMS_TRANSMISSION_BACKEND not in {"console"}:
    raise ImproperlyConfigured(
        f"REMS_TRANSMISSION_BACKEND must be console, got {REMS_TRANSMISSION_BACKEND!r}."
    )

# Production (DEBUG off) refuses to start with the console SMS backend (it would print messages)
# or the file email backend (reset links on disk) unless explicitly allowed (the test suite does).
ALLOW_CONSOLE_SMS = env_bool("ALLOW_CONSOLE_SMS", False)
ALLOW_FILE_EMAIL = env_bool("ALLOW_FILE_EMAIL", False)

# REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # Expiring, revocable personal tokens (kap_clinic/accounts/tokens).
        "kap_clinic.accounts.tokens.authentication.ApiTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "kap_clinic.api.ApiPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "KAP clinic platform API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema maps every endpoint: in production only signed-in users may read it.
    "SERVE_PERMISSIONS": [
        "rest_framework.permissions.AllowAny"
        if DEBUG
        else "rest_framework.permissions.IsAuthenticated"
    ],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "kap_clinic.api.error_responses_declare",
    ],
}
# Unsubscribe links in emails stop working after this many days (a fresh email brings a new one).
UNSUBSCRIBE_LINK_MAX_AGE_DAYS = env_int("UNSUBSCRIBE_LINK_MAX_AGE_DAYS", 90, minimum=1)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Logging: to stderr, never patient data (log ids, not names or answers).
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {LOG_LEVEL!r}."
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every record is masked (emails, phone numbers, query strings) before it is written.
    "filters": {"personal_data": {"()": "kap_clinic.log_filters.PersonalDataMaskingFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own development handler (unmasked) is replaced: its records go to the root's.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # runserver's access log, through the same masking handler (no query strings).
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
