"""Settings for uc_web, read from the environment (see README "Settings").

With no environment at all this is the embedded default, served like production (DEBUG
off, a secret key generated once into var/): SQLite, the in-process channel layer and
Celery tasks executed in-process. Production sets DATABASE_URL, REDIS_URL, EMAIL_URL,
DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS; `make dev` sets DJANGO_DEBUG=1.
"""

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Off unless asked for (`make dev`): the embedded default is served like production.
DEBUG = env.bool("DJANGO_DEBUG", default=False)

_DATABASE_URL = env.str("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
# The embedded default: one machine with its SQLite file under var/.
EMBEDDED = _DATABASE_URL.startswith("sqlite")


def _secret_key_from_file(path: Path) -> str:
    """The key kept in `path`, written there (readable by this user only) the first time."""
    import secrets

    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process of this start wrote it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as file:
        file.write(key + "\n")
    return key


_DEV_SECRET = "dev-only-insecure-secret-key-change-me-in-production-0123456789"  # noqa: S105
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY and (EMBEDDED or env.str("DJANGO_SECRET_KEY_FILE", default="")):
    # Generated once and kept, so sessions and reset links survive a restart.
    SECRET_KEY = _secret_key_from_file(
        Path(env.str("DJANGO_SECRET_KEY_FILE", default=str(VAR_DIR / "secret-key")))
    )
elif not SECRET_KEY and DEBUG:
    SECRET_KEY = _DEV_SECRET
if not SECRET_KEY or (not DEBUG and SECRET_KEY == _DEV_SECRET):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) must be set when DJANGO_DEBUG=0 "
        "with DATABASE_URL: only the embedded default keeps a generated key in var/."
    )

# Encrypts primary keys into the public ids of URLs and the API (uc_web.lib.publicid);
# empty: derived from SECRET_KEY. Set it once in production and keep it: changing it
# changes every URL.
PUBLIC_ID_KEY = env.str("PUBLIC_ID_KEY", default="")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
if "*" in ALLOWED_HOSTS:
    # The websocket origin check (uc_web/lib/origins.py) trusts ALLOWED_HOSTS.
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list host names; '*' is refused.")
# Served over https (behind the TLS proxy): secure cookies, HSTS and the https redirect.
# Not for a site only this machine reaches over plain http (`make run`).
_LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}
HTTPS = env.bool("DJANGO_HTTPS", default=not DEBUG and not set(ALLOWED_HOSTS) <= _LOOPBACK)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "uc_web.admin_site.AdminConfig",  # Django's admin, signed in to through allauth
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "uc_web",
    "accounts",
    "contacts",
    "calls",
    "messaging",
    "crm",
    "diary",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "uc_web.middleware.TurboFormStatusMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "uc_web.middleware.NullCharacterMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.FirstRunMiddleware",
    "accounts.middleware.MfaRequiredMiddleware",
    "accounts.middleware.UserPreferencesMiddleware",
]

ROOT_URLCONF = "uc_web.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "uc_web.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["uc_web.templatetags.publicids"],
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "uc_web.context_processors.shell",
            ],
        },
    },
]

# --- Python's garbage collector in the ASGI server (uc_web/asgi.py) -------------------
GC_THRESHOLDS = tuple(int(n) for n in env.list("GC_THRESHOLDS", default=["50000", "50", "50"]))
if len(GC_THRESHOLDS) != 3:
    raise ImproperlyConfigured("GC_THRESHOLDS is three numbers, as for gc.set_threshold()")

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url_config(_DATABASE_URL),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    # WAL lets the embedded server read while a task writes; a busy timeout instead of
    # "database is locked" errors under the few concurrent writers of one machine.
    DATABASES["default"]["OPTIONS"].update(
        {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE", "timeout": 20}
    )
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
elif env.bool("DATABASE_POOL", default=True):
    # A pool of open connections (psycopg_pool): every websocket heartbeat's session check
    # and every presence change reads the database from Channels' worker thread, and
    # opening a PostgreSQL connection for each cost more than the query (a profile of
    # bench/presence_fanout.py). Django's persistent connections are not for ASGI.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN", default=2),
        "max_size": env.int("DATABASE_POOL_MAX", default=10),
        "timeout": 10,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, cache, Celery broker ---------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CHANNEL_LAYERS: dict[str, Any]
if REDIS_URL:
    _redis = urlsplit(REDIS_URL)
    if _redis.scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured("REDIS_URL must be redis://, rediss:// or unix://")
    # Redis pub/sub: a group message is published once and each daphne process fans it
    # out to its own sockets in memory (the list-based core layer pops one message per
    # round trip per process, which made a 500-watcher fan-out take seconds). Delivery
    # is at most once either way; clients rebuild from snapshots (docs/realtime.md).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "max_connections": env.int("CHANNEL_LAYER_MAX_CONNECTIONS", default=1000),
                        # redis-py 6+ times reads out after 5 s by default
                        "socket_timeout": 30,
                    }
                ],
                "prefix": env.str("CHANNEL_LAYER_PREFIX", default="uc_web"),
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="uc_web"),
        }
    }
    # Celery speaks "redis+socket://" for Unix sockets where redis-py says "unix://".
    CELERY_BROKER_URL = "redis+socket://" + _redis.path if _redis.scheme == "unix" else REDIS_URL
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"

# Without a broker tasks run in the calling process (see uc_web/celery.py and the
# `serve` command, which also runs the periodic schedule in the embedded default).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Periodic work. Production runs it with `celery -A uc_web beat`; the embedded default
# runs the same schedule in-process (uc_web/management/commands/serve.py). Later
# features (diary reminders, call sweeps) add their entries here.
CELERY_BEAT_SCHEDULE = {
    "sessions-clear-expired": {
        "task": "accounts.tasks.sessions_clear_expired",
        "schedule": 3600.0,
    },
    "presence-sweep": {"task": "accounts.tasks.presence_sweep", "schedule": 15.0},
    "contact-requests-expire": {
        "task": "accounts.tasks.contact_requests_expire",
        "schedule": 3600.0,
    },
    "calls-sweep": {"task": "calls.tasks.calls_sweep", "schedule": 15.0},
    "diary-reminders": {
        "task": "diary.tasks.reminders_fire",
        "schedule": env.float("DIARY_REMINDERS_EVERY", default=30.0),
    },
    "contacts-trash-purge": {
        "task": "contacts.tasks.contacts_trash_purge",
        "schedule": 3600.0,
    },
    "messaging-reminders": {"task": "messaging.tasks.reminders_deliver_due", "schedule": 5.0},
    "messaging-trash-purge": {"task": "messaging.tasks.trash_purge_expired", "schedule": 3600.0},
    "messaging-announcements-purge": {
        "task": "messaging.tasks.announcements_purge_expired",
        "schedule": 3600.0,
    },
}

# --- Auth -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"login": "accounts.forms.SignInForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "none"  # company admins create the accounts
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[UC Web] "
# Failed sign-ins are limited per address (allauth's "login_failed", IP rates only) and per
# account, where only attempts from addresses the account has never signed in from count
# (accounts.adapter.AccountAdapter): a stranger cannot lock a colleague out.
ACCOUNT_RATE_LIMIT_LOGIN_FAILED_ACCOUNT = env.str(
    "ACCOUNT_RATE_LIMIT_LOGIN_FAILED_ACCOUNT", default="5/5m/key"
)
_LOGIN_FAILED = env.str("ACCOUNT_RATE_LIMIT_LOGIN_FAILED", default="10/m/ip,100/h/ip")
if any(not rate.strip().endswith("/ip") for rate in _LOGIN_FAILED.split(",")) or any(
    not rate.strip().endswith("/key") for rate in ACCOUNT_RATE_LIMIT_LOGIN_FAILED_ACCOUNT.split(",")
):
    raise ImproperlyConfigured(
        "ACCOUNT_RATE_LIMIT_LOGIN_FAILED takes per-address rates (n/period/ip) and "
        "ACCOUNT_RATE_LIMIT_LOGIN_FAILED_ACCOUNT per-account rates (n/period/key)."
    )
ACCOUNT_RATE_LIMITS = {
    "login_failed": _LOGIN_FAILED,
    "reset_password": env.str("ACCOUNT_RATE_LIMIT_RESET_PASSWORD", default="20/m/ip,5/m/key"),
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
}
# Two-factor sign-in (allauth.mfa): an authenticator app (TOTP), security keys and passkeys
# (WebAuthn), and recovery codes. A company can require it (Company.mfa_required).
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="UC Web")
# Browsers allow WebAuthn on https and on http://localhost only; allauth checks the
# origin's scheme itself unless told that plain http is fine (development and tests).
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env.bool("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", default=DEBUG)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3 * 3600)
# Invitation e-mails (accounts) carry a set-password link that lasts longer.
INVITATION_TIMEOUT = env.int("INVITATION_TIMEOUT", default=7 * 24 * 3600)
ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR = "accounts.tokens.TokenGenerator"  # noqa: S105

SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=14 * 24 * 3600)

# --- E-mail ---------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="UC Web <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    # Each mail is a file in var/mail/ so a developer can read reset links offline.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))

# Absolute links in mails sent without a request (new voice/video mail notices), built from
# this and never from a request's Host header: the address people use to reach the service.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
_site = urlsplit(SITE_URL)
if _site.scheme not in ("http", "https") or not _site.netloc or _site.query or _site.fragment:
    raise ImproperlyConfigured("SITE_URL is the service's address, e.g. https://uc.example.com")

# --- i18n -----------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = None  # uploads are served only through views that check permission
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Voice and video mail (messaging.media): an upload stops being read past this size.
MESSAGE_UPLOAD_MAX_BYTES = env.int("MESSAGE_UPLOAD_MAX_BYTES", default=50 * 1024 * 1024)
# Production: hand recorded messages to the proxy after the permission check, e.g.
# "/protected-media/" with nginx `location /protected-media/ { internal; alias MEDIA_ROOT/; }`.
PRIVATE_MEDIA_ACCEL_PREFIX = env.str("PRIVATE_MEDIA_ACCEL_PREFIX", default="")
if PRIVATE_MEDIA_ACCEL_PREFIX and not (
    PRIVATE_MEDIA_ACCEL_PREFIX.startswith("/") and PRIVATE_MEDIA_ACCEL_PREFIX.endswith("/")
):
    raise ImproperlyConfigured("PRIVATE_MEDIA_ACCEL_PREFIX must start and end with /")
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "accounts.authentication.ApiTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "uc_web.lib.api.exception_handler",
    # Every request counts against its user's limit and its address's limit, of its kind:
    # reads, writes, searches, imports (uc_web.lib.api.ApiThrottle, RATE_LIMITS below).
    "DEFAULT_THROTTLE_CLASSES": ["uc_web.lib.api.UserThrottle", "uc_web.lib.api.IPThrottle"],
    # The address limits count REMOTE_ADDR, never X-Forwarded-For as sent (anyone can write
    # one): behind the proxy, daphne's --proxy-headers puts the client's address there, from
    # the header the proxy sets (docs/deploy.md).
    "NUM_PROXIES": 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "UC Web API",
    "DESCRIPTION": "The HTTP API of UC Web. Authenticate with the session or a token.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "PhoneKindEnum": "contacts.models.Phone.Kind",
        "EmailKindEnum": "contacts.models.Email.Kind",
        "CallStateEnum": "calls.models.Call.State",
        "PresenceStateEnum": "accounts.presence.State",
    },
}

# --- Rate limits (uc_web/lib/ratelimit.py): "<count>/<period>", period s, m, h, d or e.g. 6s.
# Per user and per address (an office behind one address shares the second, so it is
# looser). Change any of them with RATE_LIMITS="api.search.user=60/m,websocket.message=30/6s".
RATE_LIMITS = {
    "api.read.user": "600/m",
    "api.read.ip": "3000/m",
    "api.write.user": "120/m",
    "api.write.ip": "600/m",
    "api.search.user": "120/m",  # search as you type: a request per keystroke or two
    "api.search.ip": "600/m",
    "api.import.user": "30/h",  # an upload, a preview, a start
    "api.import.ip": "120/h",
    # Each websocket: a burst of 60 messages (a call's ICE candidates), then 10 a second.
    "websocket.message": "60/6s",
    # Each websocket: 10 calls started at once, then one every 6 seconds.
    "websocket.call_start": "10/m",
    "contact_request.user": "30/h",  # new contact requests a person sends
    "csp_report.ip": "60/m",  # Content-Security-Policy violation reports logged per address
    **env.dict("RATE_LIMITS", default={}),
}
from uc_web.lib.ratelimit import Rate  # noqa: E402

for _name, _rate in RATE_LIMITS.items():
    try:
        if _rate:
            Rate.parse(_rate)
    except ValueError as _error:
        raise ImproperlyConfigured(f"RATE_LIMITS {_name}: {_error}") from None

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Real time ------------------------------------------------------------------------
# Text frames above this size close the socket (1009). daphne also caps frames on the
# wire (its --websocket-max-message-size, see docs/deploy.md).
WEBSOCKET_MAX_MESSAGE_BYTES = env.int("WEBSOCKET_MAX_MESSAGE_BYTES", default=64 * 1024)
# A socket re-checks its session this often even when no revocation event arrives,
# because the channel layer may drop that event.
WEBSOCKET_SESSION_RECHECK_SECONDS = env.int("WEBSOCKET_SESSION_RECHECK_SECONDS", default=60)
# A user whose last socket closes is shown Offline only when this passes without a new
# socket anywhere (a reload or a reconnect is not an Offline/Online flicker); 0: at once.
PRESENCE_OFFLINE_GRACE_SECONDS = env.float("PRESENCE_OFFLINE_GRACE_SECONDS", default=4.0)
if not 0 <= PRESENCE_OFFLINE_GRACE_SECONDS <= 30:
    raise ImproperlyConfigured("PRESENCE_OFFLINE_GRACE_SECONDS is between 0 and 30 seconds.")

# --- Calls: signalling limits and ICE servers (docs/turn.md) --------------------------
# An offer or answer larger than this is refused (Chromium's audio+video SDP is ~6 KB).
CALL_SDP_MAX_BYTES = env.int("CALL_SDP_MAX_BYTES", default=32 * 1024)
STUN_URLS = env.list("STUN_URLS", default=[])
TURN_URLS = env.list("TURN_URLS", default=[])
TURN_SHARED_SECRET = env.str("TURN_SHARED_SECRET", default="")
TURN_CREDENTIAL_TTL = env.int("TURN_CREDENTIAL_TTL", default=6 * 3600)
if TURN_URLS and not TURN_SHARED_SECRET:
    raise ImproperlyConfigured("TURN_URLS needs TURN_SHARED_SECRET (coturn's static-auth-secret).")
for _url in [*STUN_URLS, *TURN_URLS]:
    if not _url.startswith(("stun:", "stuns:", "turn:", "turns:")):
        raise ImproperlyConfigured(f"{_url!r} is not a stun:, stuns:, turn: or turns: URL.")
if TURN_CREDENTIAL_TTL < 60:
    raise ImproperlyConfigured("TURN_CREDENTIAL_TTL must be at least 60 seconds.")
# "relay" makes browsers use only TURN relays (for tests and strict networks); "all" else.
CALLS_ICE_TRANSPORT_POLICY = env.str("CALLS_ICE_TRANSPORT_POLICY", default="all")
if CALLS_ICE_TRANSPORT_POLICY not in ("all", "relay"):
    raise ImproperlyConfigured("CALLS_ICE_TRANSPORT_POLICY must be 'all' or 'relay'.")

# --- The media relay (docs/calls.md, "The media relay") -----------------------------
# Workers write a heartbeat this often; one not heard of for RELAY_STALE_SECONDS is gone
# (its relayed calls end "Media server unavailable").
RELAY_HEARTBEAT_SECONDS = env.float("RELAY_HEARTBEAT_SECONDS", default=1.0)
RELAY_STALE_SECONDS = env.float("RELAY_STALE_SECONDS", default=4.0)
# A feature that needs a relay gives up after this long without an answer from one.
RELAY_OPEN_TIMEOUT_SECONDS = env.float("RELAY_OPEN_TIMEOUT_SECONDS", default=3.0)
# `make run` (no broker) runs a relay worker inside the server process; "0" turns it off.
RELAY_EMBEDDED = env.bool("RELAY_EMBEDDED", default=not REDIS_URL)
# The echo session of the connection test plays media back after this delay.
RELAY_ECHO_DELAY_SECONDS = env.float("RELAY_ECHO_DELAY_SECONDS", default=0.5)
# ... and closes it after this long, whether or not the test is still running.
RELAY_ECHO_MAX_SECONDS = env.float("RELAY_ECHO_MAX_SECONDS", default=120.0)
# Voicemail: relay workers record callers here while they speak; the web processes read
# what a worker left behind when it died mid-message (a directory both can reach).
VOICEMAIL_SPOOL_DIR = env.str("VOICEMAIL_SPOOL_DIR", default=str(VAR_DIR / "voicemail"))
if RELAY_STALE_SECONDS < 2 * RELAY_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured("RELAY_STALE_SECONDS must be at least two heartbeats.")

# --- Security -------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Content-Security-Policy (django-csp) on every response: scripts only from our own files
# (no inline script, no eval), nothing framed, forms only to us. Styles may be inline
# (style="..." for dynamic values, Turbo's progress bar). Violations are reported to
# /csp-report/, which logs them (logger uc_web.csp).
_SELF = "'self'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_SELF],
        "script-src": [_SELF],
        "style-src": [_SELF, "'unsafe-inline'"],
        "img-src": [_SELF, "data:", "blob:"],
        "font-src": [_SELF, "data:"],
        "media-src": [_SELF, "blob:"],
        "connect-src": [_SELF],  # includes ws(s):// to ourselves
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": [_SELF],
        "frame-ancestors": ["'none'"],
        "report-uri": ["/csp-report/"],
    },
}
# Permissions-Policy (django-permissions-policy): camera, microphone and screen sharing for
# our own pages only (calls), every other powerful feature for nobody.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "camera": ["self"],
    "microphone": ["self"],
    "display-capture": ["self"],
    "autoplay": ["self"],  # ringing and the remote party's media
    "fullscreen": ["self"],
    "geolocation": [],
    "payment": [],
    "usb": [],
    "serial": [],
    "hid": [],
    "midi": [],
    "accelerometer": [],
    "gyroscope": [],
    "magnetometer": [],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # runserver prints each request itself
        "django.channels.server": {"level": "WARNING"},
        # one line per periodic task every 15 s buries what matters (failures still show)
        "celery.app.trace": {"level": "WARNING"},
        "uc_web.csp": {"level": "WARNING"},
    },
}
