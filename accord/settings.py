"""Django settings for Accord.

This is the ONE module that reads the environment (ARCHITECTURE.md rule 9). Everything else
reads ``django.conf.settings``. A fresh clone runs with no configuration at all: the SQLite
database, uploaded files and a generated secret key live under ``ACCORD_DATA_DIR`` (``var/``).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(BASE_DIR / ".env", override=False)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("ACCORD_DATA_DIR", BASE_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    if os.environ.get("ACCORD_SECRET_KEY"):
        return os.environ["ACCORD_SECRET_KEY"]
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("ACCORD_DEBUG", False)
ALLOWED_HOSTS = env_list("ACCORD_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("ACCORD_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",  # serves Swagger UI from its own static files, not a CDN
    "huey.contrib.djhuey",
    "django_prose_editor",  # the knowledge base's rich-text editor (assets from the package)
    "accord.core",
    "accord.parties",
    "accord.activities",
    "accord.catalog",
    "accord.sales",
    "accord.commerce",
    "accord.projects",
    "accord.analytics",
    "accord.dataio",
    "accord.dedup",
    "accord.ops",
    "accord.sla",
    "accord.contracts",
    "accord.service",
    "accord.kb",
    "accord.fieldservice",
    "accord.feedback",
    "accord.servicereports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accord.core.middleware.RequestContextMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accord.core.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "accord.urls"
WSGI_APPLICATION = "accord.wsgi.application"
ASGI_APPLICATION = "accord.asgi.application"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "accord" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accord.core.context_processors.accord",
            ],
        },
    },
]

# --- database -----------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'accord.sqlite3'}")
_db = dj_database_url.parse(
    DATABASE_URL, conn_max_age=int(os.environ.get("ACCORD_DB_CONN_MAX_AGE", "60"))
)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {
        # WAL lets readers and one writer work at once; IMMEDIATE avoids "database is locked"
        # upgrades in the middle of a write transaction.
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=10000;PRAGMA cache_size=-65536;PRAGMA mmap_size=268435456;"
            "PRAGMA temp_store=MEMORY;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    # Tests use a file, not Django's in-memory default: with an in-memory database the live
    # server's threads share one connection, and the browser tests' parallel requests (report
    # cards load at once) could deadlock on it. One file per test process, so runs side by side
    # don't collide.
    _db["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"accord-test-{os.getpid()}.sqlite3")
    }
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth ---------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("ACCORD_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# --- i18n ---------------------------------------------------------------------------------
LANGUAGE_CODE = os.environ.get("ACCORD_LANGUAGE", "en")
LANGUAGES = [("en", _("English")), ("ru", _("Russian")), ("fr", _("French")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("ACCORD_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- files --------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("ACCORD_STATIC_ROOT", DATA_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing root
STATICFILES_DIRS = [BASE_DIR / "accord" / "static"]
MEDIA_ROOT = Path(os.environ.get("ACCORD_MEDIA_ROOT", DATA_DIR / "files"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
ACCORD_UPLOAD_MAX_BYTES = int(os.environ.get("ACCORD_UPLOAD_MAX_MB", "25")) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- background jobs (docs/adr/0002-background-jobs.md) -----------------------------------
# Default: Huey on a SQLite file under var/ -- no extra server. ACCORD_JOBS_URL=redis://...
# switches to Redis for several workers on several machines.
HUEY_IMMEDIATE = env_bool("ACCORD_JOBS_IMMEDIATE", False)
_jobs_url = os.environ.get("ACCORD_JOBS_URL", "")
if _jobs_url.startswith("redis"):
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "accord",
        "url": _jobs_url,
        "immediate": HUEY_IMMEDIATE,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "accord",
        "filename": str(DATA_DIR / "jobs.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
    }

# --- mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "ACCORD_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("ACCORD_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("ACCORD_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("ACCORD_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("ACCORD_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("ACCORD_EMAIL_STARTTLS", False)
EMAIL_USE_SSL = env_bool("ACCORD_EMAIL_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("ACCORD_EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("ACCORD_FROM_EMAIL", "accord@localhost")

# --- Accord -------------------------------------------------------------------------------
ACCORD_DEFAULT_REGION = os.environ.get("ACCORD_DEFAULT_REGION", "RU")  # phone parsing default
ACCORD_PAGE_SIZE = int(os.environ.get("ACCORD_PAGE_SIZE", "50"))
# Currencies deals, price lists and documents may use (ISO 4217), the first is the default.
ACCORD_CURRENCIES = env_list("ACCORD_CURRENCIES", "RUB,EUR,USD,CNY,KZT,BYN,GBP,CHF")
# Exports of more rows than this run as a background job with a download link (D2).
ACCORD_EXPORT_INLINE_MAX = int(os.environ.get("ACCORD_EXPORT_INLINE_MAX", "5000"))
# Where Accord is reached from outside: links in e-mails (satisfaction surveys) start with it.
ACCORD_SITE_URL = os.environ.get("ACCORD_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- service desk (issue 5) ---------------------------------------------------------------
# A closed case reopens when the client writes within this many days; later, a new case.
ACCORD_CASE_REOPEN_DAYS = int(os.environ.get("ACCORD_CASE_REOPEN_DAYS", "30"))
ACCORD_CASE_MAX_ATTACHMENT_MB = float(os.environ.get("ACCORD_CASE_MAX_ATTACHMENT_MB", "20"))
# Incoming mail: a bigger attachment is dropped (with a note); a bigger message is refused.
ACCORD_MAIL_MAX_ATTACHMENT_MB = float(os.environ.get("ACCORD_MAIL_MAX_ATTACHMENT_MB", "20"))
ACCORD_MAIL_MAX_MESSAGE_MB = float(os.environ.get("ACCORD_MAIL_MAX_MESSAGE_MB", "50"))
# Satisfaction surveys: how long a link stays valid, and the score that opens a follow-up.
ACCORD_SURVEY_DAYS = int(os.environ.get("ACCORD_SURVEY_DAYS", "30"))
ACCORD_SURVEY_FOLLOW_UP_AT = int(os.environ.get("ACCORD_SURVEY_FOLLOW_UP_AT", "2"))
# Field service: cost of an engineer's hour (work and travel) and its currency.
ACCORD_FIELD_LABOUR_RATE = os.environ.get("ACCORD_FIELD_LABOUR_RATE", "3500")
ACCORD_FIELD_CURRENCY = os.environ.get("ACCORD_FIELD_CURRENCY", "")
ACCORD_FIELD_PHOTO_MAX_BYTES = int(
    float(os.environ.get("ACCORD_FIELD_PHOTO_MAX_MB", "10")) * 1024 * 1024
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ACCORD_LOG_LEVEL", "WARNING")},
    # The job worker attaches its own handler to "huey"; don't print every line twice.
    "loggers": {"huey": {"handlers": [], "propagate": False}},
}
