"""Production safeguards wired by create_app(): the secret key, proxies, cookies, headers.

The secret key signs the session cookie (and with it every log-in and CSRF token): a
known key lets anyone forge an admin session, so there is no default. It comes from
`SECRET_KEY`, else from the file `SECRET_KEY_FILE` names, by default `instance/secret_key`
(which `make run` writes once, mode 600);
without either the portal refuses to start, except in debug (a random key per process)
and in tests.
"""
from __future__ import annotations

import os
import secrets
import sys

from flask import Flask
from flask.sessions import SecureCookieSessionInterface

MIN_SECRET_LENGTH = 16
SECRET_FILE = "secret_key"


class MissingSecretKey(SystemExit):
    """Raised by create_app() after printing its one-line message to stderr: no traceback, and
    exit status 3, gunicorn's "worker failed to boot", so that its master stops instead of
    starting worker after worker."""

    EXIT_STATUS = 3

    def __init__(self, message: str) -> None:
        super().__init__(self.EXIT_STATUS)
        self.message = message

    def __str__(self) -> str:
        return self.message


def configure_secret_key(app: Flask) -> None:
    key = app.config.get("SECRET_KEY")
    path = app.config.get("SECRET_KEY_FILE") or os.path.join(app.instance_path, SECRET_FILE)
    if not key:
        if os.path.exists(path):
            with open(path, encoding="utf-8") as file:
                key = file.read().strip()
    if app.testing:
        app.config["SECRET_KEY"] = key or secrets.token_hex(32)
        return
    if not key and app.debug:
        app.config["SECRET_KEY"] = secrets.token_hex(32)  # sessions end with the process
        return
    if not key or len(key) < MIN_SECRET_LENGTH:
        refusal = MissingSecretKey(
            f"error: {'SECRET_KEY is too short' if key else 'no SECRET_KEY'}: set SECRET_KEY to a random string of "
            f"at least {MIN_SECRET_LENGTH} characters (e.g. `python3 -c 'import secrets; print(secrets.token_hex(32))'`)"
            f" or put one in {path}; the portal will not sign sessions with "
            "a default")
        print(refusal.message, file=sys.stderr, flush=True)
        raise refusal
    app.config["SECRET_KEY"] = key


# -- proxies, cookies, headers --------------------------------------------------------

# Pages load only the portal's own files: no inline script or style, no eval (htmx's
# indicator style and eval are switched off in base.html's htmx-config).
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
    "connect-src 'self'", "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
])
HSTS = "max-age=31536000; includeSubDomains"


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie (which holds the log-in and the CSRF token) is `Secure` whenever the
    request came over HTTPS, and always with SESSION_COOKIE_SECURE."""

    def get_cookie_secure(self, app: Flask) -> bool:
        from flask import has_request_context, request
        return super().get_cookie_secure(app) or (has_request_context() and request.is_secure)


def init_security(app: Flask) -> None:
    """Proxy headers (opt-in), the session cookie, and the headers every response carries."""
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:  # only behind a proxy that sets these headers: else a client could claim any address
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    app.session_interface = SessionInterface()

    @app.after_request
    def security_headers(response):
        from flask import request
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if response.mimetype == "text/html":
            headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        else:
            headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", HSTS)
        if request.endpoint != "static":
            # Pages carry a CSRF token and the user's library's data (the token page: a new
            # API secret); no browser or proxy cache is to keep them.
            headers["Cache-Control"] = "no-store"
            headers.pop("Expires", None)
        return response
