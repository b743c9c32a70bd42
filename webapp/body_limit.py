"""Request bodies are refused at a size limit before they are read (issue 30).

The web server (uvicorn) hands a body to the application in small pieces and stops reading the socket
while the application does not ask for more, and Django spools what it reads to disk past
FILE_UPLOAD_MAX_MEMORY_SIZE; so no body is held in memory. What is left is disk and time: this ASGI
middleware, in front of Django, answers 413 as soon as the headers show that a body is too large for
where it is sent, without reading it, and cuts off a body sent without a length once it passes the limit.

Limits (MiB from settings): a video upload (POST / and POST /api/jobs/) up to POSENET_MAX_UPLOAD_MB, a
resumable-upload chunk (PATCH /api/uploads/<id>/) up to POSENET_UPLOAD_CHUNK_MB, anything else 2 MiB
(forms and JSON). A request without credentials (no session cookie, no Authorization header) may send
only 64 KiB, enough to sign in or sign up; so may one whose session or token is not a real one (checked
when the body is larger): a stranger cannot make the server store hundreds of MB."""
from __future__ import annotations

import html
import json
import re

from asgiref.sync import sync_to_async
from django.conf import settings

MiB = 1024 * 1024
ANONYMOUS_LIMIT = 64 * 1024
FORM_LIMIT = 2 * MiB
MULTIPART_SLACK = MiB  # the form's other fields and part headers around the video
_VIDEO_UPLOAD = re.compile(r"^/(api/jobs/|live/takes/)?$")  # a live take carries its camera video
_CHUNK = re.compile(r"^/api/uploads/[0-9a-fA-F-]{36}/$")


def _headers(scope) -> dict[bytes, bytes]:
    out: dict[bytes, bytes] = {}
    for k, v in scope.get("headers", []):
        k = k.lower()
        out[k] = out[k] + b"; " + v if k == b"cookie" and k in out else v  # repeated Cookie headers: all of them
    return out


def _session_key(headers: dict[bytes, bytes]) -> str | None:
    prefix = settings.SESSION_COOKIE_NAME.encode() + b"="
    for part in headers.get(b"cookie", b"").split(b";"):
        if part.strip().startswith(prefix):
            return part.strip()[len(prefix):].decode("latin-1")
    return None


def has_credentials(headers: dict[bytes, bytes]) -> bool:
    """Credentials are presented (a session cookie or an Authorization header); valid_credentials says
    whether they are real."""
    return b"authorization" in headers or _session_key(headers) is not None


def valid_credentials(headers: dict[bytes, bytes]) -> bool:
    """The session is a signed-in one, or the API token is an active user's (a fake cookie or token
    must not buy a large body: Django would store it on disk before any view checks who sent it)."""
    from importlib import import_module

    from django.contrib.auth import SESSION_KEY

    from poseapp.models import ApiToken

    auth = headers.get(b"authorization", b"").decode("latin-1")
    if auth.startswith("Token "):
        return ApiToken.user_for(auth[6:].strip()) is not None
    key = _session_key(headers)
    return bool(key) and import_module(settings.SESSION_ENGINE).SessionStore(key).get(SESSION_KEY) is not None


def limit_for(method: str, path: str, headers: dict[bytes, bytes]) -> tuple[int, str]:
    """The most bytes a body may have for this request, and the sentence that refuses more."""
    if not has_credentials(headers):
        return ANONYMOUS_LIMIT, "Please sign in first: without signing in, a request can carry at most 64 KiB."
    too_large = "This request is too large: the most this server accepts here is {}."
    if method == "POST" and _VIDEO_UPLOAD.match(path):
        mb = settings.POSENET_MAX_UPLOAD_MB
        return mb * MiB + MULTIPART_SLACK, f"This video is too large: the most this server accepts is {mb} MB."
    if method == "PATCH" and _CHUNK.match(path):
        mb = settings.POSENET_UPLOAD_CHUNK_MB
        return mb * MiB, too_large.format(f"{mb} MiB per chunk")
    return FORM_LIMIT, too_large.format(f"{FORM_LIMIT // MiB} MiB")


class BodyLimit:
    """ASGI middleware: 413 with a sentence for a body over `limit_for`, the body left unread."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = _headers(scope)
        limit, sentence = limit_for(scope["method"], scope["path"], headers)
        try:
            declared = int(headers.get(b"content-length", b"0"))
        except ValueError:
            declared = 0
        large = declared > ANONYMOUS_LIMIT or b"transfer-encoding" in headers  # (chunked: no length given)
        if limit > ANONYMOUS_LIMIT and large and not await sync_to_async(valid_credentials)(headers):
            limit, sentence = limit_for(scope["method"], scope["path"], {})  # as anonymous
        if declared > limit:
            return await self._refuse(scope, send, sentence)
        received, over, started = 0, False, False

        async def counted_receive():
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # no length given, or a wrong one: stop here
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def watched_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counted_receive, watched_send)
        if over and not started:
            await self._refuse(scope, send, sentence)

    @staticmethod
    async def _refuse(scope, send, sentence: str) -> None:
        if scope["path"].startswith("/api/"):
            body, kind = json.dumps({"error": sentence}).encode(), b"application/json"
        else:  # a browser's form: a page that says it, with a way back
            page = f'<!doctype html><title>Too large</title><p>{html.escape(sentence)}</p><p><a href="/">Back</a></p>'
            body, kind = page.encode(), b"text/html; charset=utf-8"
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
