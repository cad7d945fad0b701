"""Failed log-ins are limited per user name and per client address (kept in the database, so
every worker and host counts the same), and an unknown user name costs a password check too."""
from __future__ import annotations

import re

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from portal.extensions import db
from portal.models import LoginFailure
from portal.services import users as users_service

from web_helpers import Desk, csrf_token

LOCKED_EN = "Too many failed log-ins for this user name or from this computer."


def attempt(client, username: str, password: str, address: str = "127.0.0.1", language: str = "en"):
    desk = Desk(client)
    desk.forget_cached_user()
    page = client.get("/login", headers={"Accept-Language": language}, environ_base={"REMOTE_ADDR": address})
    desk.forget_cached_user()
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(page.get_data(as_text=True))},
                       headers={"Accept-Language": language}, environ_base={"REMOTE_ADDR": address})


def test_a_user_name_is_locked_after_five_failures_even_for_the_right_password(world, app):
    client = app.test_client()
    for _ in range(5):
        assert attempt(client, "user_r", "wrong-password").status_code == 401
    locked = attempt(client, "user_r", "secret-pass-1")
    assert locked.status_code == 429
    assert LOCKED_EN in locked.get_data(as_text=True)
    assert 850 <= int(locked.headers["Retry-After"]) <= 900
    until = (datetime.now(ZoneInfo(app.config["PORTAL_TIMEZONE"])) + timedelta(seconds=int(locked.headers["Retry-After"])))
    shown = re.search(r"Try again after (\d\d:\d\d)\.", locked.get_data(as_text=True)).group(1)
    assert shown in {f"{until:%H:%M}", f"{until - timedelta(seconds=2):%H:%M}"}  # Retry-After is rounded up
    assert 'value="user_r"' in locked.get_data(as_text=True)  # the form keeps the name
    assert attempt(client, "user_l1", "secret-pass-1").status_code == 302  # other names are not locked
    assert attempt(app.test_client(), "user_r", "secret-pass-1", address="10.1.2.3").status_code == 429  # nor by address


def test_the_lock_ends_when_the_failures_are_older_than_the_window(world, app):
    client = app.test_client()
    for _ in range(5):
        attempt(client, "user_r", "wrong-password")
    assert attempt(client, "user_r", "secret-pass-1").status_code == 429
    for failure in db.session.scalars(db.select(LoginFailure)):
        failure.at -= timedelta(seconds=901)
    db.session.commit()
    assert attempt(client, "user_r", "secret-pass-1").status_code == 302


def test_a_successful_log_in_clears_the_names_failures(world, app):
    client = app.test_client()
    for _ in range(4):
        attempt(client, "user_r", "wrong-password")
    assert attempt(client, "user_r", "secret-pass-1").status_code == 302
    for _ in range(4):
        assert attempt(app.test_client(), "user_r", "wrong-password").status_code == 401  # four more allowed


def test_an_address_is_locked_after_many_failures_over_any_names(world, app):
    app.config["LOGIN_FAILURES_PER_ADDRESS"] = 3
    for name in ("nobody", "user_x", "user_l2"):
        assert attempt(app.test_client(), name, "wrong-password", address="192.0.2.7").status_code == 401
    assert attempt(app.test_client(), "user_r", "secret-pass-1", address="192.0.2.7").status_code == 429
    assert attempt(app.test_client(), "user_r", "secret-pass-1", address="192.0.2.8").status_code == 302


def test_unknown_names_count_and_lock_too(world, app):
    client = app.test_client()
    for _ in range(5):
        assert attempt(client, "no-such-user", "whatever").status_code == 401
    assert attempt(client, "no-such-user", "whatever").status_code == 429


def test_the_lock_message_is_translated(world, app):
    client = app.test_client()
    for _ in range(5):
        attempt(client, "user_r", "wrong-password", language="ja")
    locked = attempt(client, "user_r", "secret-pass-1", language="ja")
    assert locked.status_code == 429
    assert "ログインの失敗が多すぎます" in locked.get_data(as_text=True)


def test_unknown_and_inactive_names_cost_a_password_check(world, monkeypatch):
    """The answer time must not tell which names exist: every attempt verifies a hash, of the
    configured method (a dummy one for unknown names)."""
    checked = []
    real = users_service.check_password_hash

    def spy(stored: str, password: str) -> bool:
        checked.append(stored.split("$", 1)[0])
        return real(stored, password)

    monkeypatch.setattr(users_service, "check_password_hash", spy)
    method = current_app.config["PASSWORD_HASH_METHOD"]
    assert users_service.authenticate("no-such-user", "whatever") is None
    assert users_service.authenticate("user_r", "wrong-password") is None
    world.user("L1").active = False
    db.session.commit()
    assert users_service.authenticate("user_l1", "secret-pass-1") is None
    assert users_service.authenticate("user_r", "secret-pass-1") is not None
    assert checked == [method] * 4
