"""Django settings, read from environment variables (see README.md, "Configuration").

Development defaults: SQLite in var/, an embedded Redis started by `make run` (which exports
REDIS_URL to the web and worker processes it starts). Production: set DJANGO_SECRET_KEY,
DJANGO_DEBUG=false, DJANGO_ALLOWED_HOSTS, DATABASE_URL, REDIS_URL.
"""
from pathlib import Path

import dj_database_url

from .env import env_bool, env_int, env_list, env_str
from poseapp.queues import CLEANUP_TASK, ROUTES  # constants only (no Django): the task routes

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("POSENET_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env_str("DJANGO_SECRET_KEY") or ("dev-only-insecure-key" if DEBUG else None)
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is false.")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "poseapp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "webapp.security_headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Content-Security-Policy and Permissions-Policy on every response (webapp/security_headers.py).
POSENET_CSP = env_bool("POSENET_CSP", True)
POSENET_CSP_REPORT_ONLY = env_bool("POSENET_CSP_REPORT_ONLY", False)

# Failed sign-ins (per username and address) and bad API tokens (per presented token): after this many
# within the window (seconds, from the first failure), that username or token is refused until it ends;
# an address with POSENET_ADDRESS_FAILURE_LIMIT failures of either kind is refused (poseapp/ratelimit.py).
POSENET_LOGIN_FAILURE_LIMIT = env_int("POSENET_LOGIN_FAILURE_LIMIT", 10)
POSENET_ADDRESS_FAILURE_LIMIT = env_int("POSENET_ADDRESS_FAILURE_LIMIT", 100)
POSENET_LOGIN_WINDOW_S = env_int("POSENET_LOGIN_WINDOW_S", 15 * 60)
if POSENET_LOGIN_FAILURE_LIMIT < 1 or POSENET_ADDRESS_FAILURE_LIMIT < 1 or POSENET_LOGIN_WINDOW_S < 1:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("POSENET_LOGIN_FAILURE_LIMIT, POSENET_ADDRESS_FAILURE_LIMIT and "
                               "POSENET_LOGIN_WINDOW_S must be at least 1.")
# The counters' cache: empty = this process's memory (enough for one web process); with several web
# processes point it at Redis (e.g. the REDIS_URL with another database number: redis://host:6379/1).
POSENET_CACHE_URL = env_str("POSENET_CACHE_URL", "")
if POSENET_CACHE_URL and not POSENET_CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"POSENET_CACHE_URL must be a redis://, rediss:// or unix:// URL, got {POSENET_CACHE_URL!r}")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": POSENET_CACHE_URL}
          if POSENET_CACHE_URL else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                     # the sign-in counters: many addresses' worth before any is culled
                                     "OPTIONS": {"MAX_ENTRIES": 20000}}}

ROOT_URLCONF = "webapp.urls"
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
            ],
        },
    },
]
ASGI_APPLICATION = "webapp.asgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"), conn_max_age=0
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Tests share their database with a real worker and web server process: use a file, not memory.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(VAR_DIR / "static")))
# The three.js viewer is built by `npm run build` into frontend/dist (fixed file names).
STATICFILES_DIRS = [BASE_DIR / "frontend" / "dist"]
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"  # never served publicly: downloads go through owner-checked views

# Uploads are streamed to disk in chunks, never held whole in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
POSENET_MAX_UPLOAD_MB = env_int("POSENET_MAX_UPLOAD_MB", 500)
POSENET_MAX_DURATION_S = env_int("POSENET_MAX_DURATION_S", 20 * 60)
# Resumable uploads (poseapp/chunked_upload.py): each PATCH carries at most this many MiB (daphne holds
# one request body in memory, so this bounds the memory an upload takes); unfinished uploads expire
# after this many hours without a chunk.
POSENET_UPLOAD_CHUNK_MB = env_int("POSENET_UPLOAD_CHUNK_MB", 8)
POSENET_UPLOAD_EXPIRY_H = env_int("POSENET_UPLOAD_EXPIRY_H", 24)
if not 1 <= POSENET_UPLOAD_CHUNK_MB <= 64 or POSENET_UPLOAD_EXPIRY_H < 1:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("POSENET_UPLOAD_CHUNK_MB must be 1 to 64 and POSENET_UPLOAD_EXPIRY_H at least 1.")
POSENET_JOB_TIME_LIMIT_S = env_int("POSENET_JOB_TIME_LIMIT_S", 3 * 3600)  # a pose job stops after this
FILE_UPLOAD_HANDLERS = ["poseapp.uploads.SizeLimitedUploadHandler"]

# Fair use (poseapp/quotas.py). 0 turns a limit off. Staff are exempt unless POSENET_QUOTA_EXEMPT_STAFF=false.
POSENET_MAX_ACTIVE_JOBS_PER_USER = env_int("POSENET_MAX_ACTIVE_JOBS_PER_USER", 10)  # queued + running
POSENET_STORAGE_QUOTA_MB = env_int("POSENET_STORAGE_QUOTA_MB", 5000)  # uploads + results on disk, per user
# Decoded work of one upload, from the probe: frames (detection cost) and frames x megapixels (decoding,
# the overlay and the browser copy). Defaults: 20 min at 30 fps; 20 min of 1080p at 30 fps.
POSENET_MAX_FRAMES = env_int("POSENET_MAX_FRAMES", 36000)
POSENET_MAX_DECODED_MEGAPIXELS = env_int("POSENET_MAX_DECODED_MEGAPIXELS", 75000)
POSENET_QUOTA_EXEMPT_STAFF = env_bool("POSENET_QUOTA_EXEMPT_STAFF", True)
# Retention (poseapp/retention.py): ended jobs and their files are deleted this many days after they
# ended; 0 keeps them forever. The periodic cleanup runs every POSENET_CLEANUP_INTERVAL_S.
POSENET_RETENTION_DAYS = env_int("POSENET_RETENTION_DAYS", 30)
POSENET_CLEANUP_INTERVAL_S = env_int("POSENET_CLEANUP_INTERVAL_S", 3600)
# Folders that checkpoint paths entered in the admin must lie in (comma-separated). Empty: the shipped
# ml/weights, `python -m ml.train`'s runs/ and the training jobs' MEDIA_ROOT/training.
POSENET_MODELS_DIR = env_list("POSENET_MODELS_DIR", [])
for _name in ("POSENET_MAX_ACTIVE_JOBS_PER_USER", "POSENET_STORAGE_QUOTA_MB", "POSENET_MAX_FRAMES",
              "POSENET_MAX_DECODED_MEGAPIXELS", "POSENET_RETENTION_DAYS"):
    if globals()[_name] < 0:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{_name} must be 0 (no limit) or more, got {globals()[_name]}")
if POSENET_CLEANUP_INTERVAL_S < 60:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("POSENET_CLEANUP_INTERVAL_S must be at least 60.")
# Nothing lost or stuck (poseapp/heartbeat.py, poseapp/sweeper.py; docs/deploy.md, "Heartbeats and the sweeper").
# A running job's worker writes a heartbeat every POSENET_HEARTBEAT_INTERVAL_S; every worker sweeps every
# POSENET_SWEEP_INTERVAL_S: a running job without a heartbeat for POSENET_HEARTBEAT_TIMEOUT_S is run again
# (up to POSENET_JOB_MAX_ATTEMPTS runs in all), then failed with a sentence; a queued job whose broker message
# is gone (Redis lost it, or it could not be sent) is sent again once queued for POSENET_REQUEUE_GRACE_S.
POSENET_HEARTBEAT_INTERVAL_S = env_int("POSENET_HEARTBEAT_INTERVAL_S", 5)
POSENET_HEARTBEAT_TIMEOUT_S = env_int("POSENET_HEARTBEAT_TIMEOUT_S", 40)
POSENET_SWEEP_INTERVAL_S = env_int("POSENET_SWEEP_INTERVAL_S", 10)
POSENET_JOB_MAX_ATTEMPTS = env_int("POSENET_JOB_MAX_ATTEMPTS", 2)
POSENET_REQUEUE_GRACE_S = env_int("POSENET_REQUEUE_GRACE_S", 60)
if min(POSENET_HEARTBEAT_INTERVAL_S, POSENET_SWEEP_INTERVAL_S, POSENET_JOB_MAX_ATTEMPTS, POSENET_REQUEUE_GRACE_S) < 1 \
        or POSENET_HEARTBEAT_TIMEOUT_S < 2 * POSENET_HEARTBEAT_INTERVAL_S:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "POSENET_HEARTBEAT_INTERVAL_S, POSENET_SWEEP_INTERVAL_S, POSENET_JOB_MAX_ATTEMPTS and POSENET_REQUEUE_GRACE_S "
        "must be at least 1, and POSENET_HEARTBEAT_TIMEOUT_S at least twice POSENET_HEARTBEAT_INTERVAL_S.")

# Redis is the Celery broker and the Channels layer. `make run` starts a private one when unset.
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        # socket_timeout None: with redis-py 8 the default timeout kills idle websockets after ~5 s.
        "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": None}],
                   # a client replaying a long job must not lose live chunks that queue up meanwhile
                   "capacity": 2000},
    }
}
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ROUTES = ROUTES  # poseapp/queues.py: every task's queue
# acks_late + prefetch 1: a solo worker holds at most the one message it is running (fair dispatch between
# workers), and that message stays in Redis's `unacked` hash until the task returns. A killed worker's
# message is re-delivered only after the visibility timeout (Redis transport), so re-runs do not rely on it:
# the DB-driven sweeper (poseapp/sweeper.py) re-queues the job, and a late re-delivery finds the job no longer
# "queued" and does nothing (the claim is a conditional UPDATE in poseapp/tasks.py). The timeout must stay
# longer than the longest task (training: 24 h), or a live training run would be delivered a second time.
# reject_on_worker_lost only matters to prefork pools (a child dies, its parent requeues): the solo pool
# dies whole.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# priority_steps 0..9: one Redis list per priority, so that a user's later jobs wait behind other
# users' earlier ones (poseapp/quotas.py, fair order; 0 is served first).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 25 * 3600, "priority_steps": list(range(10))}
# The periodic cleanup (poseapp/retention.py), for `celery -A webapp beat` (or a worker with -B).
CELERY_BEAT_SCHEDULE = {"posenet-cleanup": {"task": CLEANUP_TASK,
                                            "schedule": float(POSENET_CLEANUP_INTERVAL_S)}}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Lifter checkpoint used by new jobs (the shipped default when unset).
POSENET_CHECKPOINT = env_str("POSENET_CHECKPOINT", "")
# Workers load MediaPipe and the default lifter when they start (poseapp/warmup.py), not on the first job.
POSENET_WARMUP = env_bool("POSENET_WARMUP", True)
# Speed (docs/deploy.md "Speed"): 2D detector processes per pose job (0: one per two cores the worker
# may use, at most 4), and splitting long videos across workers (poseapp/segments.py).
POSENET_DETECT_PROCESSES = env_int("POSENET_DETECT_PROCESSES", 0)
# Show the 2D detector every n-th frame (1 to 4) and interpolate the others: n times less detection work,
# at a cost in accuracy (skater clip, 2: the 3D moves a median 20 mm; ml/RESULTS.md). Every worker of a
# deployment must use the same value (a split video's parts are detected by several).
POSENET_DETECT_STRIDE = env_int("POSENET_DETECT_STRIDE", 1)
if not 1 <= POSENET_DETECT_STRIDE <= 4:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"POSENET_DETECT_STRIDE must be 1 to 4, got {POSENET_DETECT_STRIDE}")
POSENET_LIFTER_DEVICE = env_str("POSENET_LIFTER_DEVICE", "auto")  # auto (CUDA when present) | cpu | cuda
if POSENET_LIFTER_DEVICE not in ("auto", "cpu", "cuda"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"POSENET_LIFTER_DEVICE must be auto, cpu or cuda, got {POSENET_LIFTER_DEVICE!r}")
# Live mode (poseapp/live.py, the `live-lift` worker: poseapp/live_lifter.py): sessions lifted at once (each
# takes about one core at a webcam's rate), and how long a frame may wait in the queue before it is kept
# as 2D only (the page says the server is busy); the live lifter's checkpoint ("": the shipped one).
POSENET_LIVE_MAX_SESSIONS = env_int("POSENET_LIVE_MAX_SESSIONS", 2)
POSENET_LIVE_MAX_WAIT_MS = env_int("POSENET_LIVE_MAX_WAIT_MS", 120)
POSENET_LIVE_CHECKPOINT = env_str("POSENET_LIVE_CHECKPOINT", "")
# Average each live window with its mirror image (test-time flip): ~1 mm better on S9, twice the lifting time.
POSENET_LIVE_FLIP = env_bool("POSENET_LIVE_FLIP", True)
POSENET_SPLIT = env_bool("POSENET_SPLIT", True)
POSENET_SPLIT_MIN_S = env_int("POSENET_SPLIT_MIN_S", 60)  # videos at least this long are split
POSENET_SPLIT_HELPERS = env_int("POSENET_SPLIT_HELPERS", 7)  # helper tasks queued per split job
POSENET_SPLIT_STALE_S = env_int("POSENET_SPLIT_STALE_S", 30)  # a silent helper's part is redone

# `make run` (webapp/run.py) serves this machine over plain http with DEBUG off (no debug pages, no
# tracebacks in the browser): no HTTPS redirect, HSTS or secure-only cookies there.
LOCAL_HTTP = env_bool("POSENET_LOCAL_HTTP", False)
if not DEBUG and not LOCAL_HTTP:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
}

# Serve static files straight from the finders in development and under `make run` (no collectstatic needed).
WHITENOISE_USE_FINDERS = DEBUG or LOCAL_HTTP
