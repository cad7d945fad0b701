"""Helpers for the staff-page tests: read the CSRF token from a page, and a
`Desk` that logs in through the real form and posts like the pages do."""
from __future__ import annotations

import re

import flask_babel
from flask import g, has_app_context
from werkzeug.datastructures import MultiDict

PASSWORD = "secret-pass-1"  # tests/conftest.py World users
TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf-token" content="([^"]+)"')
HTMX = {"HX-Request": "true"}


def csrf_token(html: str) -> str:
    match = TOKEN_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


class Desk:
    """A staff member at the test client: log in, then GET and POST like the pages do."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def login(self, username: str, password: str = PASSWORD, follow: bool = False):
        page = self.get("/login")
        response = self.post("/login", {"username": username, "password": password,
                                        "csrf_token": csrf_token(page.get_data(as_text=True))},
                             follow_redirects=follow)
        if response.status_code == 302:
            self.token = csrf_token(self.get("/").get_data(as_text=True))
        return response

    def as_user(self, code: str):
        """Log in as the World user of library `code` (user_r, user_l1, ...)."""
        response = self.login(f"user_{code.lower()}")
        assert response.status_code == 302, response.get_data(as_text=True)
        return self

    def forget_cached_user(self) -> None:
        """Tests that hold an app context (the `world` fixture) share `g` with every
        request, and Flask-Login and Flask-WTF cache the user and the CSRF token
        there (and Flask-Babel the locale): forget them so that each request reads its own session cookie, as
        in production (one app context per request)."""
        if has_app_context():
            g.pop("_login_user", None)
            g.pop("csrf_token", None)
            flask_babel.refresh()  # the locale is cached per context too

    def get(self, url: str, htmx: bool = False, **kwargs):
        self.forget_cached_user()
        headers = {**(HTMX if htmx else {}), **kwargs.pop("headers", {})}
        return self.client.get(url, headers=headers, **kwargs)

    def post(self, url: str, data=None, htmx: bool = False, csrf: bool = True, **kwargs):
        """POST a form; `data` may be a dict or a list of pairs (repeated names)."""
        form = MultiDict(list(data.items()) if isinstance(data, dict) else list(data or []))
        if csrf and "csrf_token" not in form:
            form.add("csrf_token", self.token)
        headers = {**(HTMX if htmx else {}), **kwargs.pop("headers", {})}
        self.forget_cached_user()
        return self.client.post(url, data=form, headers=headers, **kwargs)

    def logout(self):
        return self.post("/logout")
