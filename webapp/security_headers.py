"""Content-Security-Policy and Permissions-Policy on every response (issue 13).

The policy fits what the pages use: scripts only from this origin (the viewer's module bundle, the
admin's files) or inline with the request's nonce (`{{ request.csp_nonce }}`), the job's websocket on
this host, the job's video and three.js textures (data:/blob:) from this origin. Inline event handlers
(onclick=…) are not allowed. Settings (webapp/settings.py, strictly parsed): POSENET_CSP (on/off),
POSENET_CSP_REPORT_ONLY (send Content-Security-Policy-Report-Only instead)."""
import secrets

from django.conf import settings

PERMISSIONS_POLICY = ", ".join([
    "camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()", "serial=()",
    "magnetometer=()", "gyroscope=()", "accelerometer=()", "display-capture=()", "fullscreen=(self)",
])


def permissions_policy(camera: bool = False) -> str:
    """camera: the Live page's own (camera=(self)); every other page may not use it."""
    return PERMISSIONS_POLICY.replace("camera=()", "camera=(self)") if camera else PERMISSIONS_POLICY


def content_security_policy(nonce: str, host: str, wasm: bool = False) -> str:
    """wasm: the Live page, whose 2D detector compiles WebAssembly ('wasm-unsafe-eval': no JavaScript eval)."""
    websocket = f"ws://{host} wss://{host}" if host else ""
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'" + (" 'wasm-unsafe-eval'" if wasm else ""),
        "style-src": "'self' 'unsafe-inline'",  # style="" attributes (admin, templates); no scripts
        "img-src": "'self' data: blob:",
        "media-src": "'self' blob:",
        "font-src": "'self' data:",
        "connect-src": f"'self' {websocket}".strip(),
        "worker-src": "'self' blob:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{k} {v}" for k, v in directives.items())


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        if settings.POSENET_CSP:
            try:
                host = request.get_host()
            except Exception:  # noqa: BLE001 - a DisallowedHost answer still gets a policy
                host = ""
            header = "Content-Security-Policy-Report-Only" if settings.POSENET_CSP_REPORT_ONLY else "Content-Security-Policy"
            response.headers.setdefault(header, content_security_policy(request.csp_nonce, host))
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
