"""Settings for partyreg, read from the environment.

With nothing set, the site runs embedded: SQLite under var/, tasks executed in-process, mail
written to var/mail. With DATABASE_URL and REDIS_URL set it runs on PostgreSQL with Celery
workers behind Redis. DJANGO_PRODUCTION=1 turns on the HTTPS-only settings.
"""

import os
import warnings
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PARTYREG_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


PRODUCTION = env_bool("DJANGO_PRODUCTION")
DEBUG = env_bool("DJANGO_DEBUG", default=not PRODUCTION)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or (
    "" if PRODUCTION else "partyreg-development-key-not-for-production-use-0123456789"
)
if PRODUCTION and not SECRET_KEY:
    raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_PRODUCTION=1")
SITE_URL = os.environ.get("PARTYREG_SITE_URL", "" if PRODUCTION else "http://127.0.0.1:8000")
if PRODUCTION and not SITE_URL.startswith(("https://", "http://")):
    # Printed sheets and e-mail carry links to the site: a wrong address cannot be recalled.
    raise RuntimeError(
        "PARTYREG_SITE_URL must be set when DJANGO_PRODUCTION=1: the address people open the "
        "site at, e.g. https://partyreg.example.org"
    )

ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h] or (
    [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver", "[::1]"]
)
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "partyreg.thirdparty.AxesConfig",
    "django_otp",
    "partyreg.thirdparty.TotpConfig",
    "csp",
    "partyreg",
    "members",
    "residence",
    "evaluations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "partyreg.middleware.SiteLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "partyreg.middleware.PrivateCacheMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "partyreg.twofactor.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires: it answers locked-out logins.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "partyreg.urls"
WSGI_APPLICATION = "partyreg.wsgi.application"

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
                "django.template.context_processors.i18n",
                "partyreg.context_processors.site",
                "evaluations.navigation.menu",
            ],
            # A sub-package's tags, registered by name: only an app's own templatetags/ is found.
            "libraries": {"dashboard_tags": "evaluations.dashboard.templatetags"},
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("PARTYREG_DB_CONN_MAX_AGE", 60)
        )
    }
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Behind PgBouncer in transaction mode a server-side cursor (QuerySet.iterator(), the
    # member export) may not outlive its transaction: PARTYREG_DB_POOLER=1 turns them off.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("PARTYREG_DB_POOLER")
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "partyreg.sqlite3",
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, tasks ---------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# (memory://localhost/: an in-process queue; with a host named kombu does not warn about it.)
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_URL or None
# Without Redis the embedded site runs every task in-process, at the moment it is queued.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
# Tasks keep their state in rows (print jobs, deliveries), never in results: no task result is
# stored or awaited, so sending a task never touches the result store (with Redis down, the
# subscription to a result would fail the page). A task whose result is read says so.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A task whose worker died before acknowledging it (killed, machine lost) goes back to its queue
# after this many seconds. Longer than the longest task (CELERY_TASK_TIME_LIMIT), or a slow task
# would be handed to a second worker while the first still runs.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("PARTYREG_CELERY_VISIBILITY_SECONDS", 3600),
    # Sending a task while Redis is down fails at once instead of retrying the connection for
    # seconds inside a page; what was not sent stays in its row and a sweep sends it later.
    # Workers reconnect on their own (broker_connection_retry), unaffected by this.
    "max_retries": 0,
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Asia/Ho_Chi_Minh"

# --- Auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = env_int("PARTYREG_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("PARTYREG_LOGIN_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Reverse proxies in front of the site that append the client's address to X-Forwarded-For
# (one for the documented TLS proxy). 0: the header is ignored, the connection's address is the
# client's. Behind a proxy left at 0, every client shares the proxy's address.
PARTYREG_TRUSTED_PROXIES = env_int("PARTYREG_TRUSTED_PROXIES", 0)
AXES_CLIENT_IP_CALLABLE = "partyreg.web.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Two-factor login (TOTP). The policy names who must use it (site administrators and supervising
# staff); anyone else may enrol from the account menu.
PARTYREG_TWO_FACTOR_POLICY = "members.permissions.must_use_two_factor"
OTP_TOTP_ISSUER = "partyreg"

# Sessions are rows of the database (any web process serves any request), saved on every
# request; partyreg.sessions only reports a database outage while saving as an outage.
SESSION_ENGINE = "partyreg.sessions"
# An idle session ends after two hours; every request pushes the limit back.
SESSION_COOKIE_AGE = env_int("PARTYREG_SESSION_SECONDS", 2 * 60 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["partyreg.formats"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("PARTYREG_MEDIA_ROOT", VAR_DIR / "media"))
if not PRODUCTION:
    # Development serves static files from the finders; the collected directory is not needed.
    warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Mail -----------------------------------------------------------------------------------
EMAIL_URL = os.environ.get("EMAIL_URL", "")
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "partyreg <no-reply@partyreg.local>")

# --- Forms, messages ------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
from django.contrib.messages import constants as message_constants  # noqa: E402

MESSAGE_TAGS = {message_constants.ERROR: "danger"}

# --- Security -------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
# No inline script or style anywhere: code lives in static/js, styles in static/css.
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
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PARTYREG_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint logs every layout step at INFO; only its problems are worth a line.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "pikepdf": {"level": "WARNING"},
    },
}

# --- Workflow settings (DOMAIN.md marks these configurable) ---------------------------------
PARTYREG = {
    # Days after issue by which an introduced member must have presented themselves.
    "REFERRAL_REPORT_DAYS": env_int("PARTYREG_REFERRAL_REPORT_DAYS", 30),
    # Meetings a residence cell must hold with its working members each year.
    "MEETINGS_PER_YEAR": env_int("PARTYREG_MEETINGS_PER_YEAR", 2),
    # Days the residence side has to return an annual comment.
    "COMMENT_DEADLINE_DAYS": env_int("PARTYREG_COMMENT_DEADLINE_DAYS", 15),
    # Free-text comments of one cell at least this alike (0 to 1) are flagged as near-identical.
    "SIMILARITY_THRESHOLD": float(os.environ.get("PARTYREG_SIMILARITY_THRESHOLD") or 0.9),
    # Absolute address of the site, printed in the QR code of every comment sheet.
    # The site's own address, as people reach it: links in e-mail, on printed sheets, in QR codes.
    "SITE_URL": SITE_URL,
    # Comment sheets per PDF file of a print job (a 1,000-page document needs about 1.4 GB).
    "SHEETS_PER_PDF": env_int("PARTYREG_SHEETS_PER_PDF", 250),
    # Largest member list accepted for import, in bytes (compressed) and rows.
    "IMPORT_MAX_BYTES": env_int("PARTYREG_IMPORT_MAX_BYTES", 5 * 1024 * 1024),
    "IMPORT_MAX_ROWS": env_int("PARTYREG_IMPORT_MAX_ROWS", 20000),
    # Demo logins are shown on the login page only when the demo data is loaded.
    "SHOW_DEMO_LOGINS": env_bool("PARTYREG_SHOW_DEMO_LOGINS", not PRODUCTION),
    # Reminders (evaluations/reminders.py): per rule, whether it runs and its timing in days.
    # "escalate_after_days" counts from the deadline (or from the first reminder) to the
    # message sent one level up. An organisation can switch a rule off for its subtree.
    "REMINDERS": {
        # Member not presented to the residence cell: the member, then the workplace secretary.
        "referral_report": {"enabled": True, "days_before": 7, "escalate_after_days": 7},
        # Referral not received or not assigned: the commune, then the workplace secretary.
        "referral_receipt": {"enabled": True, "after_days": 7, "escalate_after_days": 14},
        # Fewer meetings than the yearly minimum: the cell secretary, then the commune.
        "cell_meetings": {"enabled": True, "days_before": 30, "escalate_after_days": 15},
        # Upcoming meeting: every invitee.
        "meeting_upcoming": {"enabled": True, "days_before": 3},
        # Comment request near or past its deadline: the cell, then commune and workplace.
        "comment_due": {"enabled": True, "days_before": 5, "escalate_after_days": 5},
        # Change notice not acknowledged by the residence side.
        "notice_unacknowledged": {"enabled": True, "after_days": 7},
    },
    # Email deliveries: a claim older than this is taken to be a dead worker's and is retried.
    "DELIVERY_CLAIM_MINUTES": env_int("PARTYREG_DELIVERY_CLAIM_MINUTES", 15),
    "DELIVERY_MAX_ATTEMPTS": env_int("PARTYREG_DELIVERY_MAX_ATTEMPTS", 6),
    # Dashboard figures whose last count took longer than this (seconds) are not counted again
    # inside a page after a change: the page shows the previous figures, marked with their time,
    # and a task counts them afresh (evaluations/dashboard/cached.py).
    "DASHBOARD_LIVE_SECONDS": float(os.environ.get("PARTYREG_DASHBOARD_LIVE_SECONDS") or 0.25),
}

# --- Signed PDFs (partyreg/signing, README "Signing documents") ------------------------------
# pyHanko 0.38 imports DSA key types from cryptography, which warns at every start; the site
# never uses DSA.
warnings.filterwarnings("ignore", message="DSA is deprecated", module="pyhanko")
PARTYREG_SIGNING = {
    # Off by default: documents are printed and signed on paper.
    "ENABLED": env_bool("PARTYREG_SIGNING_ENABLED"),
    # Fernet key (urlsafe base64 of 32 bytes) that encrypts the installed certificate files and
    # their passphrases; empty: a key derived from SECRET_KEY (changing SECRET_KEY then makes
    # the installed files unreadable, to be installed again).
    "KEY": os.environ.get("PARTYREG_SIGNING_KEY", ""),
    # A timestamping authority (RFC 3161): signatures become PAdES B-T; empty: B-B.
    "TSA_URL": os.environ.get("PARTYREG_TSA_URL", ""),
    # The PKCS#11 module of the tokens or HSM, and the user PIN that opens them.
    "PKCS11_MODULE": os.environ.get("PARTYREG_PKCS11_MODULE", "/usr/lib/softhsm/libsofthsm2.so"),
    "PKCS11_PIN": os.environ.get("PARTYREG_PKCS11_PIN", ""),
}
