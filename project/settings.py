"""Settings for the 双培 workflow engine: one module, read from the environment."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)

# The secret key signs sessions and CSRF tokens: from $SECRET_KEY, else from the file
# $SECRET_KEY_FILE (default var/secret_key, git-ignored, generated once by the setup script).
# With DEBUG off there is no built-in default: no key, or a weak or published one, stops the app.
DEV_SECRET_KEY = "dev-only-not-secret-shuangpei"
KNOWN_DEV_SECRET_KEYS = {DEV_SECRET_KEY, "change-me", "changeme", "secret", "django-insecure"}
SECRET_KEY_FILE = Path(env_str("SECRET_KEY_FILE", str(BASE_DIR / "var" / "secret_key")))


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY", "").strip()
    if not key and SECRET_KEY_FILE.is_file():
        key = SECRET_KEY_FILE.read_text(encoding="utf-8").strip()
    if DEBUG:
        return key or DEV_SECRET_KEY
    # The same bar as ``check --deploy`` (security.W009): 50+ characters, 5+ distinct ones.
    if key in KNOWN_DEV_SECRET_KEYS or key.startswith("django-insecure-") or len(key) < 50 or len(set(key)) < 5:
        raise ImproperlyConfigured(
            "SECRET_KEY is missing or not secret (DEBUG is off). Set the SECRET_KEY environment variable "
            f"to a random string of 50+ characters, or put one in {SECRET_KEY_FILE} (SECRET_KEY_FILE); "
            "bash scripts/setup_and_run.sh --install-only generates that file. See docs/security.md."
        )
    return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_str("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "project.staticfiles.StaticFilesConfig",  # django.contrib.staticfiles, minus unused bundles
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "viewflow",
    "viewflow.workflow",
    "workflows",
    "inbox",
    "forms",
    "axes",  # login throttling: AccessAttempt / AccessLog / AccessFailureLog
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files, right after SecurityMiddleware
    "csp.middleware.CSPMiddleware",
    "project.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "viewflow.middleware.SiteMiddleware",
    "viewflow.middleware.HotwireTurboMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: turns a lockout into its page
]

ROOT_URLCONF = "project.urls"

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

WSGI_APPLICATION = "project.wsgi.application"

_sqlite = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
    "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
}
# Production keeps each worker's PostgreSQL connection (DB_CONN_MAX_AGE seconds, 60 in
# deploy/env.example) instead of opening one per request, and checks it before reuse so a
# restarted database costs one failed check, not a failed request (issue 13).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ["DATABASE_URL"],
        conn_max_age=int(env_str("DB_CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
    if os.environ.get("DATABASE_URL")
    else _sqlite
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_PREPARED_READS", True):
    # The server binds the parameters (psycopg's server-side binding), so the few reads that
    # every request or approval makes with only their values changing (workflows/kept.KeptQuery:
    # the session, the user, the task by its key, the task under the case lock ...) can be
    # prepared on the connection and planned once per connection: planning the approval's two
    # eight-table reads had cost 6-9 ms of the database's CPU per approval (issue 13,
    # docs/performance.md). Nothing else is prepared (Django's default, no prepare_threshold):
    # a list's plan depends on its values (the partial indexes, a busy queue or a small one),
    # and a generic plan made the province simulation's reads slower by the minute. Needs a
    # direct connection (a transaction-mode pgbouncer cannot keep prepared statements):
    # DB_PREPARED_READS=0 turns it off.
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True

# django-axes first: it refuses a locked-out account or address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, whose request user comes with its teacher row (the audit trail's name).
    "workflows.auth_backend.TeacherModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# Static files are the packages' own (viewflow's bundled frontend, the admin): collected by
# ``manage.py collectstatic`` into STATIC_ROOT and served by WhiteNoise from the app server
# itself. STATIC_MANIFEST=1 (production, see deploy/env.example) gives each file a content hash
# in its name, kept by browsers for ten years; it needs collectstatic before the server starts,
# so it is off by default (not tied to DEBUG, which is off in the demo too): the demo
# (runserver --insecure), the dev server and the tests serve the files unhashed from the packages.
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "static_root")))
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "whitenoise.storage.CompressedStaticFilesStorage"
        )
    },
}
# Production (STATIC_MANIFEST) indexes STATIC_ROOT once at start. Elsewhere STATIC_ROOT may not
# exist yet (no collectstatic: runserver serves the packages' files itself), so WhiteNoise looks
# files up per request instead of warning "No directory at" on every start.
WHITENOISE_AUTOREFRESH = not STATIC_MANIFEST
# Health probes (/healthz, project/health.py) call over plain HTTP: never redirect them to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# How many days each step may take before it shows as overdue.
SHUANGPEI_DUE_DAYS = {
    "pair": 14,
    "accept": 7,
    "submit_1": 365,
    "submit_2": 183,
    "branch_review": 14,
    "unit_review": 14,
    "city_filing": 14,
}
SHUANGPEI_DUE_DAYS.update(
    {
        "review_work": 14,  # a mentor reviews a submitted 典型案例 or 论文
        "resubmit_work": 14,  # the least time a trainee gets after a return
        "opinion": 30,  # 培养人意见, once the minimum training period has passed
    }
)

# Uploaded files live here, outside STATIC_ROOT and any URL; the app serves them itself
# after checking the user's scope.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "var" / "attachments")))
FILE_UPLOAD_PERMISSIONS = 0o640

# Reminders go to the in-app notification centre, and by e-mail to users with an address.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env_str("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "shuangpei@localhost")

# Background jobs (bulk exports): django-tasks with its database backend, so any number of
# ``manage.py db_worker`` processes on any machine share one queue in the database.
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# Generated exports (bulk ledgers, the city's report) live beside the attachments, never public.
EXPORTS_ROOT = Path(env_str("EXPORTS_ROOT", str(BASE_DIR / "var" / "exports")))
# The annual 附件2 is due at the city by this day of each year (month, day).
ANNEX2_DUE = (9, 10)

# --- The door (issue 9); every switch is described in docs/security.md ----------------------

# HTTPS by default whenever DEBUG is off: redirect, HSTS, cookies sent only over TLS, so that
# ``manage.py check --deploy`` is clean. An intranet served over plain HTTP sets PLAIN_HTTP=1,
# the one switch that turns these off (check --deploy then warns about them, as it should).
PLAIN_HTTP = env_bool("PLAIN_HTTP", False)
_HTTPS = not DEBUG and not PLAIN_HTTP
SECURE_SSL_REDIRECT = _HTTPS
SECURE_HSTS_SECONDS = int(env_str("SECURE_HSTS_SECONDS", "31536000")) if _HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _HTTPS
SECURE_HSTS_PRELOAD = _HTTPS
SESSION_COOKIE_SECURE = _HTTPS
# Django's database sessions; the read of each request's session is compiled once (issue 13).
SESSION_ENGINE = "workflows.sessions"
CSRF_COOKIE_SECURE = _HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind a reverse proxy that terminates TLS (nginx): trust its X-Forwarded-Proto and
# X-Forwarded-For. Only set it when the proxy overwrites those headers.
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Login throttling (django-axes): the 10th failed attempt within the cool-off window locks the
# account (whatever address it is tried from) and, separately, the address (whatever accounts
# it tries), each for AXES_COOLOFF_TIME after its last failure. Either alone would leave a gap:
# per account only, one address can spray a password over every account; per address only,
# a botnet can guess one account's password. Successful logins never count.
AXES_FAILURE_LIMIT = int(env_str("AXES_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env_str("AXES_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "inbox.views.security.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_RESET_ON_SUCCESS = False
# The address counted: REMOTE_ADDR, or behind the TLS proxy the one it put in X-Forwarded-For.
AXES_CLIENT_IP_CALLABLE = "inbox.views.security.client_ip"

# Content-Security-Policy (django-csp): everything from this origin; no eval; scripts only from
# files or with the page's nonce; inline styles allowed (viewflow's templates and ours carry
# style attributes, and a style cannot run code).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
