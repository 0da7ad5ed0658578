"""Settings, read only from environment variables.

The defaults run the product on a bare machine for development: an SQLite file in the project,
Celery tasks executed eagerly, e-mails printed to the console. Production sets
``DJANGO_DEBUG=false``; then a secret key, an encryption key and the allowed hosts are required,
and ``manage.py check --deploy`` finds nothing to warn about.
"""

import hashlib
import warnings
from base64 import urlsafe_b64encode
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from roundtable.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=True)

_INSECURE_DEV_SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. It is required when DJANGO_DEBUG=false: "
            "set it to a long random string kept secret."
        )
    SECRET_KEY = _INSECURE_DEV_SECRET_KEY

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS",
    default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [],
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS is not set. It is required when DJANGO_DEBUG=false: "
        "a comma-separated list of the host names this site answers to."
    )
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Keys that encrypt secrets at rest (TOTP seeds, later personal data), newest first: older
# keys still decrypt, so a key is rotated by prepending a new one.
FIELD_ENCRYPTION_KEYS = env.list("DJANGO_FIELD_ENCRYPTION_KEYS", default=[])
if not FIELD_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_FIELD_ENCRYPTION_KEYS is not set. It is required when DJANGO_DEBUG=false: "
            "one or more Fernet keys, comma-separated, newest first."
        )
    FIELD_ENCRYPTION_KEYS = [
        urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()
    ]

INSTALLED_APPS = [
    "apps.accounts.admin_apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "simple_history",
    "django_structlog",
    "csp",
    # The product's domains, lowest layer first.
    "apps.core",
    "apps.accounts",
    "apps.ledger",
    "apps.captable",
    "apps.investors",
    "apps.compliance",
    "apps.deals",
]

MIDDLEWARE = [
    # First, so that every line logged while serving a request carries its request id.
    "django_structlog.middlewares.RequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Static files: gunicorn serves them through WhiteNoise, runserver by itself.
    *([] if DEBUG else ["whitenoise.middleware.WhiteNoiseMiddleware"]),
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "roundtable.urls"
WSGI_APPLICATION = "roundtable.wsgi.application"

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
            ],
        },
    },
]


def _database_from_env() -> dict:
    url = env.str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # django-environ warns and carries on; we refuse.
        config = env.db_url_config(url)
    if config.get("ENGINE") not in set(environ.Env.DB_SCHEMES.values()) or not config.get("NAME"):
        raise ImproperlyConfigured(
            f"DATABASE_URL is not a valid database URL: {url!r}. Expected, for example, "
            "postgres://user:password@host:5432/name or sqlite:////absolute/path.sqlite3."
        )
    config["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=0)
    config["CONN_HEALTH_CHECKS"] = True
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config.setdefault("OPTIONS", {})["timeout"] = 20
    return config


DATABASES = {"default": _database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (INCLUDE) speed balances up on PostgreSQL; SQLite indexes the keys alone.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "apps.accounts.rulebook.RulebookBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/admin/"

# History rows keep the whole reason of a change (a KYC decision, an eligibility verdict).
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# Sign-in by e-mail through allauth; a second factor (TOTP, with recovery codes) for staff.
ACCOUNT_ADAPTER = "apps.accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
MFA_ADAPTER = "apps.accounts.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="Roundtable")
# One period either side absorbs clock drift between a phone and the server.
MFA_TOTP_TOLERANCE = 1

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "media")))

# Files go to local disk unless an S3-compatible bucket is named.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="") or None
AWS_DEFAULT_ACL = None
AWS_QUERYSTRING_AUTH = True
_default_storage = (
    {"BACKEND": "storages.backends.s3.S3Storage"}
    if AWS_STORAGE_BUCKET_NAME
    else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
)
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="Roundtable <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Redis is the cache and the Celery broker. Without a broker, tasks run eagerly in-process.
REDIS_URL = env.str("REDIS_URL", default="")
if not DEBUG and not REDIS_URL:
    raise ImproperlyConfigured(
        "REDIS_URL is not set. It is required when DJANGO_DEBUG=false: single-use second-factor "
        "codes and sign-in rate limits live in the cache, which every web process must share "
        "(for example redis://127.0.0.1:6379/0)."
    )
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_RESULT_BACKEND = (
    env.str(
        "CELERY_RESULT_BACKEND",
        default=CELERY_BROKER_URL
        if CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
        else "",
    )
    or None
)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "expire-due-kyc-reviews": {"task": "investors.kyc_expire_due", "schedule": 6 * 60 * 60},
    "flag-capital-call-defaults": {"task": "deals.flag_call_defaults", "schedule": 6 * 60 * 60},
}

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# What reversing an operation undoes beyond the books, inside the reversal's transaction, in
# this order: lower layer first, the holdings, then the deal records. A step refuses by raising;
# the steps after it do not run, so the first refusal in this list is the one reported.
LEDGER_REVERSAL_STEPS = [
    "apps.captable.services.movements_reverse",
    "apps.deals.services.reversals.deal_records_reverse",
]

# Sanctions screening: a possible match needs this name similarity and overall score (0-100).
SANCTIONS_NAME_THRESHOLD = env.int("SANCTIONS_NAME_THRESHOLD", default=80)
SANCTIONS_MATCH_THRESHOLD = env.int("SANCTIONS_MATCH_THRESHOLD", default=85)

# Open Cap Format imports read untrusted archives: bytes read (inflated) per file and in all, and
# members of an archive. OCF is compact JSON, ~500 bytes a transaction: 100 MiB is some 200,000
# transactions in one file, parsed in about five times that memory. A package is a manifest, a
# few files and perhaps its documents.
OCF_IMPORT_MAX_FILE_BYTES = env.int("OCF_IMPORT_MAX_FILE_BYTES", default=100 * 2**20)
OCF_IMPORT_MAX_UNCOMPRESSED_BYTES = env.int(
    "OCF_IMPORT_MAX_UNCOMPRESSED_BYTES", default=200 * 2**20
)
OCF_IMPORT_MAX_MEMBERS = env.int("OCF_IMPORT_MAX_MEMBERS", default=1_000)

# Structured logs; every line of a request carries its request id.
DJANGO_STRUCTLOG_CELERY_ENABLED = True
LOG_FORMAT = env.str("DJANGO_LOG_FORMAT", default="console" if DEBUG else "json")
LOGGING = logging_config(fmt=LOG_FORMAT, level=env.str("DJANGO_LOG_LEVEL", default="INFO"))

# Transport security: on by default outside development.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https")
    if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False)
    else None
)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=8 * 60 * 60)
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy on every page, the admin's included: scripts, styles, fonts and
# frames from this site alone; images also inline (the authenticator's QR code is a data URI).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
