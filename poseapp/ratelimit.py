"""Failed sign-ins and API-token failures are limited (issues 13 and 30), with Django's cache framework.

Each lock is keyed on what is attacked, so a stranger cannot lock other people out:
- a sign-in (the site's and the admin's): POSENET_LOGIN_FAILURE_LIMIT failures for one username from
  one address lock that username at that address, even with the right password;
- an API token: POSENET_LOGIN_FAILURE_LIMIT failures with one presented token refuse that token string
  (a client stuck with a revoked token); a valid token of someone else is never touched;
- and a generous ceiling per address: POSENET_ADDRESS_FAILURE_LIMIT failures of either kind from one
  address refuse further sign-ins and token requests from it (someone trying many usernames or tokens).
Every lock ends POSENET_LOGIN_WINDOW_S seconds after its first failure. A successful sign-in clears its
username's counter. The address is the connection's, or the client's own behind a trusted reverse proxy
(POSENET_TRUSTED_PROXIES, webapp/run.py). The counters live in the default cache (per process unless
POSENET_CACHE_URL points at a shared one); if the cache fails, attempts are let through (logged)."""
import hashlib
import logging

from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)
TOO_MANY_LOGINS = ("Too many failed sign-in attempts for this account from your address. "
                   "Please wait {minutes} minutes and try again.")
TOO_MANY_TOKENS = ("Too many requests with this invalid API token. Check the token on your account's token page, "
                   "then wait {minutes} minutes and try again.")
TOO_MANY_FROM_ADDRESS = ("Too many failed sign-ins or invalid API tokens from your address. "
                         "Please wait {minutes} minutes and try again.")


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _key(kind: str, *parts: str) -> str:
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8", "replace")).hexdigest()[:32]
    return f"posenet-ratelimit:{kind}:{digest}"


def message(template: str) -> str:
    return template.format(minutes=max(1, round(settings.POSENET_LOGIN_WINDOW_S / 60)))


def blocked(kind: str, *parts: str, limit: int | None = None) -> bool:
    try:
        return (cache.get(_key(kind, *parts)) or 0) >= (limit or settings.POSENET_LOGIN_FAILURE_LIMIT)
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


def sign_in_refusal(username: str, ip: str) -> str | None:
    """The sentence refusing this sign-in attempt before the password is checked, or None."""
    if blocked("address", ip, limit=settings.POSENET_ADDRESS_FAILURE_LIMIT):
        return message(TOO_MANY_FROM_ADDRESS)
    if blocked("login", username, ip):
        return message(TOO_MANY_LOGINS)
    return None


def record_sign_in_failure(username: str, ip: str) -> None:
    record_failure("login", username, ip)
    record_failure("address", ip)


def token_refusal(presented: str, ip: str) -> str | None:
    """The sentence refusing a request with this API token before it is looked up, or None."""
    if blocked("address", ip, limit=settings.POSENET_ADDRESS_FAILURE_LIMIT):
        return message(TOO_MANY_FROM_ADDRESS)
    if blocked("token", presented):
        return message(TOO_MANY_TOKENS)
    return None


def record_token_failure(presented: str, ip: str) -> None:
    record_failure("token", presented)
    record_failure("address", ip)
