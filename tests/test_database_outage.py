"""The database going away: 503 with Retry-After (HTML and JSON), /healthz, and, on a real
PostgreSQL server that is stopped under load and started again, no 500 at any time and
success afterwards without restarting the app."""
from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar

import pytest
from flask.sessions import SecureCookieSessionInterface
from werkzeug.serving import make_server

from pg_server import PostgresServer, postgres_available
from portal import create_app
from portal.config import TestConfig
from portal.extensions import db
from portal.services.admin import add_library, add_user, issue_token

TEST_SETTINGS = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}


def session_cookie(app, user) -> str:
    """The cookie a log-in would set (signed with the app's key), with the language kept at log-in."""
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    return serializer.dumps({"_user_id": user.get_id(), "_fresh": True, "user_language": user.language})


# -- /healthz and the answers without a database, on both databases -----------------------------

def test_healthz_answers_200_when_the_database_answers_without_a_log_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok", "database": "ok"}


@pytest.fixture
def unreachable_app(tmp_path):
    """An app whose SQLite file cannot be opened: every query fails to connect, like a server
    that is down (the PostgreSQL test below stops a real one)."""
    return create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "gone" / "x.sqlite")})


def test_without_a_database_pages_answer_503_in_the_users_language(unreachable_app):
    client = unreachable_app.test_client()
    health = client.get("/healthz")
    assert health.status_code == 503 and health.headers["Retry-After"] == "5"
    assert health.get_json()["status"] == "unavailable"

    class Someone:  # the user a session cookie names; the database that knows them is away
        language = "en"

        @staticmethod
        def get_id():
            return "1.0"

    client.set_cookie("session", session_cookie(unreachable_app, Someone))
    page = client.get("/", headers={"Accept-Language": "ja"})
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    html = page.get_data(as_text=True)
    assert "The database cannot be reached just now. Try again in a few seconds." in html  # English, as saved
    assert '<header class="site-header">' in html and 'href="/static/portal.css"' in html  # the portal's page
    assert "Content-Security-Policy" in page.headers and page.headers["Cache-Control"] == "no-store"

    anonymous = unreachable_app.test_client()
    login = anonymous.get("/login")
    assert login.status_code == 200  # the log-in page itself needs no database
    from web.web_helpers import csrf_token
    answer = anonymous.post("/login", data={"username": "u", "password": "p",
                                            "csrf_token": csrf_token(login.get_data(as_text=True))},
                            headers={"Accept-Language": "ja"})
    assert answer.status_code == 503 and "データベースに接続できません" in answer.get_data(as_text=True)


def test_without_a_database_the_api_answers_503_json(unreachable_app):
    response = unreachable_app.test_client().get("/api/v1/records", headers={"Authorization": "Bearer x"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    body = response.get_json()
    assert body["error"] == "unavailable" and "try again" in body["message"]


def test_an_error_page_after_a_failed_query_is_still_the_portals_page(world, app, monkeypatch):
    """A 404 while the database fails (the layout's queries fail too) keeps the layout."""
    from web.web_helpers import Desk
    desk = Desk(app.test_client()).as_user("L1")
    import portal.services.worklists as worklists
    from sqlalchemy.exc import OperationalError

    def broken(*args, **kwargs):
        raise OperationalError("SELECT …", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(worklists, "queue_totals", broken)
    app.jinja_env.globals["my_queue_totals"] = broken  # the nav's counts, queried by every page
    response = desk.get("/no-such-page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "<!doctype html>" in html and '<header class="site-header">' in html and "404" in html


# -- PostgreSQL stopped under load ------------------------------------------------------------------

THREADS = 4
REQUESTS_PER_THREAD = 12


@pytest.fixture
def own_postgres():
    """A throwaway server of its own, so that stopping it disturbs no other test."""
    if not postgres_available():
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is required when CI=true (run scripts/setup.sh)")
        pytest.skip("PostgreSQL server binaries are not installed")
    server = PostgresServer()
    yield server
    server.stop()


def test_postgres_stopped_under_load_answers_503_never_500_and_recovers_without_a_restart(own_postgres):
    app = create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": own_postgres.url})
    with app.app_context():
        db.create_all()
        add_library("L1", name="Library L1")
        user = add_user("desk", "L1", "secret-pass-1", "staff", language="en")
        token = issue_token(user)
        cookie = session_cookie(app, user)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    app.logger.disabled = True  # the outage's warnings are expected, one per request

    def fetch(path: str, headers: dict) -> tuple[int, dict, str]:
        request = urllib.request.Request(base + path, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    targets = [("/", {"Cookie": f"session={cookie}"}), ("/api/v1/records", {"Authorization": f"Bearer {token}"}),
               ("/healthz", {})]

    def load() -> list[tuple[str, int, dict, str]]:
        """A small bounded load: THREADS desks, REQUESTS_PER_THREAD requests each, at most 60 s."""
        def desk(n: int):
            answers = []
            for i in range(REQUESTS_PER_THREAD):
                path, headers = targets[(n + i) % len(targets)]
                answers.append((path, *fetch(path, headers)))
            return answers
        with ThreadPoolExecutor(THREADS) as pool:
            return [answer for answers in pool.map(desk, range(THREADS), timeout=60) for answer in answers]

    try:
        up = load()
        assert {status for _, status, _, _ in up} == {200}, [a[:2] for a in up if a[1] != 200]

        # A quick restart with no request in between: every pooled connection is stale now.
        own_postgres.halt("fast")
        own_postgres.resume()
        after_restart = load()
        assert {status for _, status, _, _ in after_restart} == {200}  # pool_pre_ping replaced them

        own_postgres.halt()  # a crash
        down = load()
        assert {status for _, status, _, _ in down} == {503}, sorted({a[:2] for a in down})
        for path, _, headers, body in down:
            assert headers["Retry-After"] == "5"
            if path == "/":
                assert "The database cannot be reached just now." in body and '<header class="site-header">' in body
            else:
                assert json.loads(body)["status" if path == "/healthz" else "error"] == "unavailable"

        own_postgres.resume()
        deadline = time.monotonic() + 30
        while fetch("/healthz", {})[0] != 200:  # the server accepts connections again
            assert time.monotonic() < deadline, "the portal did not find the database again"
            time.sleep(0.2)
        back = load()
        assert {status for _, status, _, _ in back} == {200}
        assert "desk" in next(body for path, _, _, body in back if path == "/")  # signed in as before
    finally:
        server.shutdown()
        server.server_close()
        with app.app_context():
            db.engine.dispose()
