"""Failed sign-ins and API-token failures are limited (issue 13), with Django's cache framework.

After POSENET_LOGIN_FAILURE_LIMIT failures for one username from one IP address (sign-in form and
admin sign-in), or from one IP address with bad API tokens, within POSENET_LOGIN_WINDOW_S seconds of
the first, further attempts are refused with a sentence until that window ends, even with the right
password or token. A successful sign-in clears its counter. The counters live in the default cache
(per process unless CACHES points at a shared cache, see POSENET_CACHE_URL); if the cache fails,
attempts are let through (logged), never refused."""
import hashlib
import logging

from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)
TOO_MANY_LOGINS = ("Too many failed sign-in attempts for this account from your address. "
                   "Please wait {minutes} minutes and try again.")
TOO_MANY_TOKENS = ("Too many requests with an invalid API token from your address. "
                   "Please wait {minutes} minutes and try again.")


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _key(kind: str, *parts: str) -> str:
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8", "replace")).hexdigest()[:32]
    return f"posenet-ratelimit:{kind}:{digest}"


def message(template: str) -> str:
    return template.format(minutes=max(1, round(settings.POSENET_LOGIN_WINDOW_S / 60)))


def blocked(kind: str, *parts: str) -> bool:
    try:
        return (cache.get(_key(kind, *parts)) or 0) >= settings.POSENET_LOGIN_FAILURE_LIMIT
    except Exception:  # noqa: BLE001 - a cache outage must not lock everyone out
        log.warning("rate limit cache unavailable", exc_info=True)
        return False


def record_failure(kind: str, *parts: str) -> None:
    key = _key(kind, *parts)
    try:
        cache.add(key, 0, timeout=settings.POSENET_LOGIN_WINDOW_S)  # the window starts at the first failure
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=settings.POSENET_LOGIN_WINDOW_S)
    except Exception:  # noqa: BLE001
        log.warning("rate limit cache unavailable", exc_info=True)


def reset(kind: str, *parts: str) -> None:
    try:
        cache.delete(_key(kind, *parts))
    except Exception:  # noqa: BLE001
        log.warning("rate limit cache unavailable", exc_info=True)
