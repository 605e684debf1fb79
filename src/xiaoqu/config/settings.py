"""Settings, all read from the environment (XIAOQU_* and DATABASE_URL)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

SRC_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = Path(os.environ.get("XIAOQU_HOME", Path.cwd()))
VAR_DIR = Path(os.environ.get("XIAOQU_VAR_DIR", BASE_DIR / "var"))


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _flag("XIAOQU_DEBUG")
SECRET_KEY = os.environ.get("XIAOQU_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "XIAOQU_SECRET_KEY must be set (or XIAOQU_DEBUG=1 for development)."
        )
    SECRET_KEY = "xiaoqu-development-only-not-secret"
# Key for the one-way hash of ID numbers; separate from SECRET_KEY so that the
# session key can be rotated without losing the ability to match people.
PII_HASH_KEY = os.environ.get("XIAOQU_PII_KEY", SECRET_KEY)

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("XIAOQU_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
]
if DEBUG:
    ALLOWED_HOSTS.append("testserver")
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("XIAOQU_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rules.apps.AutodiscoverRulesConfig",
    "django_tasks",
    # Background tasks queued as rows and run by `xiaoqu db_worker` (see TASKS below).
    "django_tasks_db",
    "ninja",
    "xiaoqu.core",
    "xiaoqu.accounts",
    "xiaoqu.registry",
    "xiaoqu.organization",
    "xiaoqu.notify",
    "xiaoqu.needs",
    "xiaoqu.meetings",
    "xiaoqu.decisions",
    "xiaoqu.lifecircle",
    "xiaoqu.renovation",
    "xiaoqu.stewardship",
    "xiaoqu.privacy",
    "xiaoqu.insights",
    "xiaoqu.daily",
    "xiaoqu.web",
    # The benchmark suite (`xiaoqu bench`): sits above every app, no models.
    "xiaoqu.bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files from STATIC_ROOT in production (`xiaoqu serve` collects them first).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "xiaoqu.core.policy.PolicyMiddleware",
    # Who read whose personal data: one bulk insert per request (docs/personal-information.md).
    "xiaoqu.core.access_log.AccessLogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy of every page: scripts from our static files only (docs/security.md).
    "xiaoqu.core.headers.ContentSecurityPolicyMiddleware",
    # Browsers get the friendly 404 page with XIAOQU_DEBUG on too (the demo runs so).
    "xiaoqu.web.middleware.FriendlyNotFoundMiddleware",
]

ROOT_URLCONF = "xiaoqu.config.urls"
WSGI_APPLICATION = "xiaoqu.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

_CONN_MAX_AGE = int(os.environ.get("XIAOQU_DB_CONN_MAX_AGE", "60"))
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'xiaoqu.sqlite3'}"),
        conn_max_age=_CONN_MAX_AGE,
        # A kept connection is checked before a request reuses it, so that after a database
        # restart the site reconnects by itself instead of failing on a dead connection.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Connections are kept across requests (XIAOQU_DB_CONN_MAX_AGE) as on PostgreSQL: a new
    # SQLite connection reads the whole schema again, about 2.5 ms of every request under
    # `xiaoqu serve` (docs/benchmarks.md, Open311 under load); the development server closes
    # each request thread's connections itself.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        }
    )
# A streaming replica of the PostgreSQL primary for the reads of safe requests, with
# read-your-own-writes for XIAOQU_REPLICA_PIN_SECONDS after a client wrote (xiaoqu.core.replica,
# docs/deployment.md). Without XIAOQU_REPLICA_URL no router or middleware is installed.
XIAOQU_REPLICA_PIN_SECONDS = int(os.environ.get("XIAOQU_REPLICA_PIN_SECONDS", "5"))
_REPLICA_URL = os.environ.get("XIAOQU_REPLICA_URL", "").strip()
if _REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        _REPLICA_URL, conn_max_age=_CONN_MAX_AGE, conn_health_checks=True
    )
    # A test run uses the primary's test database for both (Django's test mirror).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        # An unreachable replica costs a request at most this many seconds before the site
        # reads from the primary instead.
        DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
    DATABASE_ROUTERS = ["xiaoqu.core.replica.PrimaryReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
        "xiaoqu.core.replica.ReplicaMiddleware",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("XIAOQU_REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "xiaoqu",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background work (a region's life-circle analysis) is queued in the database and run by a
# separate process, `xiaoqu db_worker`, which `xiaoqu serve` and `xiaoqu demo` start beside
# the web server and stop with it: a long analysis never runs inside the upload request.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("XIAOQU_TASKS_BACKEND", "django_tasks_db.DatabaseBackend")
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "xiaoqu.accounts.backends.PhonePasswordBackend",
    "xiaoqu.accounts.backends.SmsCodeBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
if DEBUG:
    PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Where SMS login codes go; the console backend prints them (development).
SMS_BACKEND = os.environ.get("XIAOQU_SMS_BACKEND", "xiaoqu.accounts.sms.ConsoleSmsBackend")
# Notifications (docs/notifications.md): the backends of SMS (by default the login codes'
# backend) and WeChat subscription messages, the public address put before the links they
# carry, and how many hours before a vote closes its owners who have not voted are reminded.
XIAOQU_NOTIFY_SMS_BACKEND = os.environ.get(
    "XIAOQU_NOTIFY_SMS_BACKEND", "xiaoqu.notify.channels.LoginSmsBackend"
)
XIAOQU_NOTIFY_WECHAT_BACKEND = os.environ.get(
    "XIAOQU_NOTIFY_WECHAT_BACKEND", "xiaoqu.notify.channels.ConsoleWechatBackend"
)
XIAOQU_SITE_URL = os.environ.get("XIAOQU_SITE_URL", "").strip().rstrip("/")
XIAOQU_VOTE_REMINDER_HOURS = int(os.environ.get("XIAOQU_VOTE_REMINDER_HOURS", "48"))

LANGUAGE_CODE = "zh-hans"
# Dates in templates use the locale's formats (DATE_FORMAT, YEAR_MONTH_FORMAT, …): 2026年12月2日
# in Chinese, Dec. 2, 2026 in English; ours override a few of Django's.
FORMAT_MODULE_PATH = ["xiaoqu.formats"]
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [SRC_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("XIAOQU_STATIC_ROOT", VAR_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("XIAOQU_MEDIA_ROOT", VAR_DIR / "media"))
# Uploads are written whole or not at all, a full disk answered clearly (core.storage).
STORAGES = {
    "default": {"BACKEND": "xiaoqu.core.storage.WholeFileStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Uploaded files larger than this go to a temporary file instead of memory (Django's default).
FILE_UPLOAD_MAX_MEMORY_SIZE = int(2.5 * 1024 * 1024)
# A photo (opinions, visits, meetings, ballots scans, site photos, work orders): at most this
# many bytes, and really a JPEG, PNG, WebP or GIF picture (core.uploads.check_photo).
XIAOQU_PHOTO_MAX_BYTES = int(os.environ.get("XIAOQU_PHOTO_MAX_BYTES", str(8 * 1024**2)))

# Estates built before this year are eligible for the renovation programme
# (the national focus is "built before the end of 2000").
ELIGIBLE_BEFORE_YEAR = int(os.environ.get("XIAOQU_ELIGIBLE_BEFORE_YEAR", "2001"))
# Dwellings one liaison member keeps in touch with: a warning above the soft limit, refused
# above the hard one.
XIAOQU_LIAISON_SOFT_LIMIT = int(os.environ.get("XIAOQU_LIAISON_SOFT_LIMIT", "15"))
XIAOQU_LIAISON_HARD_LIMIT = int(os.environ.get("XIAOQU_LIAISON_HARD_LIMIT", "30"))
# Default objection period (days) after a vote's result is published: alterations such as
# adding an elevator (Art. 278 item 7), and every other matter.
XIAOQU_OBJECTION_DAYS_ALTERATION = int(os.environ.get("XIAOQU_OBJECTION_DAYS_ALTERATION", "15"))
XIAOQU_OBJECTION_DAYS = int(os.environ.get("XIAOQU_OBJECTION_DAYS", "7"))
# The staff to-do workbench lists the open votes closing within this many days (docs/daily.md).
XIAOQU_TODO_VOTE_DAYS = int(os.environ.get("XIAOQU_TODO_VOTE_DAYS", "7"))
# The shortest consultation of a renovation plan: its last day at least this many days after
# its first (docs/meetings-and-plans.md).
XIAOQU_PLAN_CONSULTATION_DAYS = int(os.environ.get("XIAOQU_PLAN_CONSULTATION_DAYS", "7"))
# How many opinions a resident may send, and comments on plans they may write, in a window
# (COUNT/WINDOW: 10/h, 30/15m, 100/d; "off" for no limit). See xiaoqu.core.rates.
XIAOQU_OPINION_RATE = os.environ.get("XIAOQU_OPINION_RATE", "10/h")
XIAOQU_PLAN_COMMENT_RATE = os.environ.get("XIAOQU_PLAN_COMMENT_RATE", "20/h")
# Estimated cost per household (yuan) of a batch candidate without a published plan; the
# batch page proposes it and staff may change it there (renovation.batches).
XIAOQU_COST_PER_HOUSEHOLD_YUAN = os.environ.get("XIAOQU_COST_PER_HOUSEHOLD_YUAN", "15000")
# Default floor coefficients (floor:coefficient, comma-separated) for splitting residents'
# contributions to an added elevator by floor; staff change them per item. A floor above the
# table's last takes the last one's coefficient.
XIAOQU_ELEVATOR_FLOOR_COEFFICIENTS = os.environ.get(
    "XIAOQU_ELEVATOR_FLOOR_COEFFICIENTS", "1:0,2:0.4,3:0.8,4:1.0,5:1.2,6:1.4,7:1.6"
)
# Hours a resident's complaint during the works may wait for its answer before it is overdue.
XIAOQU_COMPLAINT_ANSWER_HOURS = int(os.environ.get("XIAOQU_COMPLAINT_ANSWER_HOURS", "48"))
# A site photo taken (EXIF or the phone's position) farther than this from its estate, in
# metres, is flagged as taken away from the estate (renovation.services.progress).
XIAOQU_PHOTO_FAR_METRES = int(os.environ.get("XIAOQU_PHOTO_FAR_METRES", "500"))
# The maintenance fund (stewardship.services.fund): how many statements a year the estate's
# account is published in (1, 2, 3, 4, 6 or 12), and the emergency cases of the local rules
# that allow a use without the owners' vote (comma-separated).
XIAOQU_FUND_STATEMENTS_PER_YEAR = int(os.environ.get("XIAOQU_FUND_STATEMENTS_PER_YEAR", "2"))
XIAOQU_FUND_EMERGENCY_CASES = os.environ.get(
    "XIAOQU_FUND_EMERGENCY_CASES", "电梯故障,屋面漏水,消防隐患"
)
# Access control (stewardship.services.access): how many days access events are kept before
# `xiaoqu access purge` deletes them (whereabouts are sensitive, PIPL Art. 28), and the
# seconds within which one credential at two points of a kind is flagged.
XIAOQU_ACCESS_RETENTION_DAYS = int(os.environ.get("XIAOQU_ACCESS_RETENTION_DAYS", "90"))
XIAOQU_ACCESS_TWO_POINTS_SECONDS = int(os.environ.get("XIAOQU_ACCESS_TWO_POINTS_SECONDS", "60"))
# Retention of personal data (xiaoqu.privacy, docs/personal-information.md#retention): days a
# door-knocking visit's photo and a row of the personal-information access log are kept
# before `xiaoqu privacy purge` deletes them (0 keeps them for ever).
XIAOQU_RETENTION_VISIT_PHOTOS_DAYS = int(
    os.environ.get("XIAOQU_RETENTION_VISIT_PHOTOS_DAYS", "365")
)
XIAOQU_RETENTION_ACCESS_EVENTS_DAYS = int(
    os.environ.get("XIAOQU_RETENTION_ACCESS_EVENTS_DAYS", "1095")
)
# Bounds on every spreadsheet an import reads (xiaoqu.core.spreadsheets): files named on the
# command line (a province's register must fit), then uploads through the web, then both.
XIAOQU_SHEET_MAX_BYTES = int(os.environ.get("XIAOQU_SHEET_MAX_BYTES", str(4 * 1024**3)))
XIAOQU_SHEET_MAX_ROWS = int(os.environ.get("XIAOQU_SHEET_MAX_ROWS", "10000000"))
XIAOQU_UPLOAD_MAX_BYTES = int(os.environ.get("XIAOQU_UPLOAD_MAX_BYTES", str(5 * 1024**2)))
XIAOQU_UPLOAD_SHEET_MAX_BYTES = int(
    os.environ.get("XIAOQU_UPLOAD_SHEET_MAX_BYTES", str(32 * 1024**2))
)
XIAOQU_UPLOAD_SHEET_MAX_ROWS = int(os.environ.get("XIAOQU_UPLOAD_SHEET_MAX_ROWS", "100000"))
XIAOQU_SHEET_MAX_CELL_CHARS = int(os.environ.get("XIAOQU_SHEET_MAX_CELL_CHARS", "32767"))
XIAOQU_SHEET_MAX_COLUMNS = int(os.environ.get("XIAOQU_SHEET_MAX_COLUMNS", "256"))

# Maps (xiaoqu.core.maps, docs/configuration.md#maps): the base layer is the street network we
# hold; a tile service (URL template with {z}/{x}/{y}) is used only when set, and its tiles
# are taken to be in GCJ-02 (positions are converted for display) unless told otherwise.
XIAOQU_MAP_TILES = os.environ.get("XIAOQU_MAP_TILES", "").strip()
XIAOQU_MAP_TILES_GCJ02 = _flag("XIAOQU_MAP_TILES_GCJ02", True)
XIAOQU_MAP_TILES_SUBDOMAINS = os.environ.get("XIAOQU_MAP_TILES_SUBDOMAINS", "abc").strip()
XIAOQU_MAP_ATTRIBUTION = os.environ.get("XIAOQU_MAP_ATTRIBUTION", "").strip()

# Security headers, cookies and sessions (docs/security.md). Production (XIAOQU_DEBUG off)
# redirects http to https and sends HSTS; behind a load balancer that ends TLS, name the header
# it sets (XIAOQU_PROXY_SSL_HEADER=X-Forwarded-Proto) so requests it forwarded count as https.
SECURE_SSL_REDIRECT = _flag("XIAOQU_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("XIAOQU_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("XIAOQU_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = _flag("XIAOQU_HSTS_PRELOAD")
_PROXY_SSL_HEADER = os.environ.get("XIAOQU_PROXY_SSL_HEADER", "").strip()
if _PROXY_SSL_HEADER:
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_"),
        "https",
    )
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
# `on` (enforced), `report` (report-only, for trying a change out) or `off`.
XIAOQU_CSP = os.environ.get("XIAOQU_CSP", "on").strip().lower()
if XIAOQU_CSP not in {"on", "report", "off"}:
    raise ImproperlyConfigured("XIAOQU_CSP must be on, report or off.")
X_FRAME_OPTIONS = "DENY"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_SAMESITE = "Lax"
# Residents stay signed in on their phone (most open links inside WeChat) for this long;
# anyone holding a staff role (any role but resident and owner) for the shorter staff age.
SESSION_COOKIE_AGE = int(os.environ.get("XIAOQU_SESSION_SECONDS", str(14 * 24 * 3600)))
XIAOQU_STAFF_SESSION_SECONDS = int(os.environ.get("XIAOQU_STAFF_SESSION_SECONDS", str(12 * 3600)))
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SAMESITE = "Lax"
# Not HttpOnly: the offline phone pages (web/static/web/offline.js) read the token from the
# cookie when they send a queued entry.
CSRF_COOKIE_HTTPONLY = False

# Login and SMS-code throttling (accounts.throttle, docs/security.md): failures counted in the
# cache (Redis when XIAOQU_REDIS_URL is set) within a window; past a limit, refused (429) for
# the cooling period.
# The header a load balancer puts the client's address in (e.g. X-Real-IP, X-Forwarded-For);
# empty: the address of the connection (REMOTE_ADDR).
XIAOQU_CLIENT_IP_HEADER = os.environ.get("XIAOQU_CLIENT_IP_HEADER", "").strip()
XIAOQU_LOGIN_WINDOW_SECONDS = int(os.environ.get("XIAOQU_LOGIN_WINDOW_SECONDS", "900"))
XIAOQU_LOGIN_MAX_FAILURES_PER_PHONE = int(
    os.environ.get("XIAOQU_LOGIN_MAX_FAILURES_PER_PHONE", "5")
)
XIAOQU_LOGIN_MAX_FAILURES_PER_ADDRESS = int(
    os.environ.get("XIAOQU_LOGIN_MAX_FAILURES_PER_ADDRESS", "20")
)
XIAOQU_LOGIN_LOCKOUT_SECONDS = int(os.environ.get("XIAOQU_LOGIN_LOCKOUT_SECONDS", "900"))
XIAOQU_SMS_MAX_PER_PHONE_HOUR = int(os.environ.get("XIAOQU_SMS_MAX_PER_PHONE_HOUR", "5"))
XIAOQU_SMS_MAX_PER_ADDRESS_HOUR = int(os.environ.get("XIAOQU_SMS_MAX_PER_ADDRESS_HOUR", "20"))
XIAOQU_SMS_MAX_PER_HOUR = int(os.environ.get("XIAOQU_SMS_MAX_PER_HOUR", "1000"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("XIAOQU_LOG_LEVEL", "WARNING")},
}
