"""Security headers on every answer, Secure cookies and HSTS over HTTPS (also behind a proxy,
when trusted), no caching of authenticated pages, and the body size limit (413)."""
from __future__ import annotations

import pytest

from portal import create_app
from portal.config import TestConfig
from portal.security import CONTENT_SECURITY_POLICY
from portal.services.admin import add_user

from web_helpers import Desk, csrf_token


def assert_common_headers(response):
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/login", "/healthz", "/no-such-page", "/static/portal.css", "/api/v1/records",
                                  "/api/v1/openapi.json"])
def test_every_answer_has_the_security_headers(client, path):
    with client.get(path) as response:
        assert_common_headers(response)
        assert "Strict-Transport-Security" not in response.headers  # plain HTTP: no HSTS


def test_pages_get_the_full_policy_without_inline_script_or_style(world, desk):
    record = world.record("PROCESSING")
    pages = [("/login", 200)]
    desk.as_user("L1")
    pages += [(path, 200) for path in ("/", "/?side=lender", f"/records/{record.ill_id}", "/records/new", "/search",
                                       "/search?q=ILL", "/settings", "/settings/tokens", "/bulk/send",
                                       "/bulk/receive")]
    pages += [("/records/1999999999", 404)]
    desk.logout()
    add_user("root", "R", "secret-pass-1", "admin")
    desk.login("root")
    pages += [("/settings/libraries", 200), ("/settings/users", 200)]
    for path, status in pages:
        if path == "/login":
            response = Desk(desk.client.application.test_client()).get(path)
        else:
            response = desk.get(path)
        assert response.status_code == status, path
        policy = response.headers["Content-Security-Policy"]
        assert policy == CONTENT_SECURITY_POLICY
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        html = response.get_data(as_text=True)
        assert "<script>" not in html and " style=" not in html and "hx-on" not in html, path
        assert '"includeIndicatorStyles":false' in html and '"allowEval":false' in html


def test_authenticated_pages_and_the_token_secret_are_never_cached(world, desk):
    desk.as_user("L1")
    for path in ("/", "/settings/tokens", "/bulk/send"):
        assert desk.get(path).headers["Cache-Control"] == "no-store", path
    issued = desk.post("/settings/tokens", {"label": "robot"})
    assert issued.headers["Cache-Control"] == "no-store"
    shown = desk.get(issued.headers["Location"])  # the page that shows the new secret, once
    assert "ill_" in shown.get_data(as_text=True)
    assert shown.headers["Cache-Control"] == "no-store"
    with desk.get("/static/portal.css") as static:
        assert "no-store" not in static.headers.get("Cache-Control", "")


def test_over_https_cookies_are_secure_and_hsts_is_sent(world, client):
    page = client.get("/login", base_url="https://portal.example")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    # Over HTTPS Flask-WTF also checks the Referer, which Referrer-Policy: same-origin still sends.
    response = client.post("/login", base_url="https://portal.example", headers={"Referer": "https://portal.example/login"}, data={
        "username": "user_l1", "password": "secret-pass-1", "csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    plain = Desk(client.application.test_client()).login("user_l1")
    assert "Secure" not in plain.headers["Set-Cookie"]  # plain HTTP (development): no Secure flag


def proxied_app(database_urls, proxies: int):
    urls, _ = database_urls
    return create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                       "SQLALCHEMY_DATABASE_URI": urls["sqlite"], "TRUSTED_PROXIES": proxies})


@pytest.mark.sqlite_only
def test_behind_a_trusted_proxy_its_https_counts_and_only_then(app, database_urls):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    trusted = proxied_app(database_urls, 1).test_client().get("/login", headers=forwarded)
    assert "Strict-Transport-Security" in trusted.headers and "Secure" in trusted.headers["Set-Cookie"]
    untrusted = proxied_app(database_urls, 0).test_client().get("/login", headers=forwarded)
    assert "Strict-Transport-Security" not in untrusted.headers  # a client cannot claim HTTPS by a header


def test_a_body_over_the_limit_gets_413_in_html_and_json(world, desk, client, app):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    desk.as_user("L1")
    big = "x" * (65 * 1024)
    page = desk.post("/records/new", {"title": big}, headers={"Accept-Language": "en"})
    assert page.status_code == 413
    html = page.get_data(as_text=True)
    assert "What was sent is too large (at most 0.1 MB)." in html and 'class="site-header' in html
    ja = desk.post("/records/new", {"title": big}, headers={"Accept-Language": "ja"})
    assert ja.status_code == 413 and "送信されたデータが大きすぎます" in ja.get_data(as_text=True)
    api = client.post("/api/v1/records", data=big, content_type="application/json",
                      headers={"Authorization": "Bearer whatever"})
    assert api.status_code in (401, 413)
    secret = world.token("L1")
    api = client.post("/api/v1/records", data='{"kind": "' + big + '"}', content_type="application/json",
                      headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 413 and api.get_json()["error"] == "too_large"


def test_a_body_under_the_default_limit_is_accepted(world, desk, app):
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024
    desk.as_user("L1")
    response = desk.post("/records/new", {"title": "x" * (512 * 1024)})
    assert response.status_code != 413
