"""Log-out, a new password and deactivation end every session of the user (User.session_epoch),
and a token revoked by deactivation stays revoked when the user comes back."""
from __future__ import annotations

from portal.extensions import db
from portal.models import ApiToken, User
from portal.services.admin import add_user

from web_helpers import Desk


def fresh(username: str) -> User:
    db.session.expire_all()
    return db.session.scalar(db.select(User).where(User.username == username))


def two_browsers(app, code: str = "L1") -> tuple[Desk, Desk]:
    return Desk(app.test_client()).as_user(code), Desk(app.test_client()).as_user(code)


def admin(app) -> Desk:
    add_user("root", "R", "secret-pass-1", "admin")
    desk = Desk(app.test_client())
    assert desk.login("root").status_code == 302
    return desk


def test_log_out_ends_the_users_other_sessions_too(world, app):
    first, second = two_browsers(app)
    assert second.get("/").status_code == 200
    stolen_cookie = first.client.get_cookie("session").value
    assert first.logout().status_code == 302
    assert second.get("/").status_code == 302  # the other browser is logged out as well
    replay = app.test_client()
    replay.set_cookie("session", stolen_cookie)  # a copy of the cookie from before the log-out
    assert replay.get("/").status_code == 302
    assert Desk(app.test_client()).as_user("L1").get("/").status_code == 200  # logging in again works
    assert Desk(app.test_client()).as_user("L2").get("/").status_code == 200


def test_another_users_log_out_leaves_my_session(world, app):
    mine, theirs = Desk(app.test_client()).as_user("L1"), Desk(app.test_client()).as_user("L2")
    theirs.logout()
    assert mine.get("/").status_code == 200


def test_a_password_reset_by_an_admin_ends_the_users_sessions(world, app):
    victim, _ = two_browsers(app)
    root = admin(app)
    target = world.user("L1")
    response = root.post(f"/settings/users/{target.id}", {"role": "manager", "library": "L1", "active": "1",
                                                          "password": "brand-new-pass"})
    assert response.status_code == 302
    assert victim.get("/").status_code == 302
    assert root.get("/settings/users").status_code == 200  # the admin's own session goes on
    assert Desk(app.test_client()).login("user_l1", "brand-new-pass").status_code == 302


def test_saving_a_user_without_a_new_password_keeps_their_sessions(world, app):
    session, _ = two_browsers(app)
    root = admin(app)
    target = world.user("L1")
    root.post(f"/settings/users/{target.id}", {"role": "staff", "library": "L1", "active": "1", "password": ""})
    assert session.get("/").status_code == 200


def test_an_admins_own_new_password_keeps_this_session_and_ends_the_others(world, app):
    root = admin(app)
    other = Desk(app.test_client())
    assert other.login("root").status_code == 302
    me = fresh("root")
    response = root.post(f"/settings/users/{me.id}", {"role": "admin", "library": "R", "active": "1",
                                                      "password": "another-pass-2"})
    assert response.status_code == 302
    assert root.get("/settings/users").status_code == 200
    assert other.get("/").status_code == 302


def test_deactivation_ends_sessions_and_revokes_tokens_for_good(world, app, client):
    secret = world.token("L1")
    session, _ = two_browsers(app)
    root = admin(app)
    target = world.user("L1")
    assert root.post(f"/settings/users/{target.id}", {"role": "manager", "library": "L1"}).status_code == 302
    assert session.get("/").status_code == 302
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/records", headers=bearer).status_code == 401
    assert root.post(f"/settings/users/{target.id}", {"role": "manager", "library": "L1", "active": "1"}).status_code == 302
    assert fresh("user_l1").active
    assert client.get("/api/v1/records", headers=bearer).status_code == 401  # the old token stays dead
    assert all(token.revoked_at is not None for token in db.session.scalars(db.select(ApiToken)))
    assert session.get("/").status_code == 302  # and so does the old session
    assert client.get("/api/v1/records", headers={"Authorization": f"Bearer {world.token('L1')}"}).status_code == 200


def test_a_session_cookie_with_a_bare_or_odd_user_id_is_no_session(world, app):
    """Cookies signed before the epoch existed held the bare id; they log in no one now."""
    from flask.sessions import SecureCookieSessionInterface
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    target = world.user("L1")
    def opens_home(browser) -> bool:
        Desk(browser).forget_cached_user()  # one app context per request, as in production
        return browser.get("/").status_code == 200

    for user_id in (str(target.id), f"{target.id}.", f"{target.id}.x", f"{target.id}.{target.session_epoch + 1}",
                    "٣.0", "9" * 40 + ".0"):
        browser = app.test_client()
        browser.set_cookie("session", serializer.dumps({"_user_id": user_id, "_fresh": True}))
        assert not opens_home(browser), user_id
    browser = app.test_client()
    browser.set_cookie("session", serializer.dumps({"_user_id": f"{target.id}.{target.session_epoch}", "_fresh": True}))
    assert opens_home(browser)  # the same cookie with the current epoch is a session


def test_a_request_still_carrying_the_cookie_from_before_log_in_leaves_the_log_in(world, app):
    """A browser's favicon fetch goes out with the log-in page's cookie and may come back after
    the log-in did: its answer must not set that older cookie over the new one."""
    desk = Desk(app.test_client())
    desk.get("/login")
    before_log_in = desk.client.get_cookie("session").value
    assert desk.login("user_l1").status_code == 302
    late = Desk(app.test_client())
    late.client.set_cookie("session", before_log_in)
    for path in ("/favicon.ico", "/no-such-page", "/login", "/static/favicon.svg", "/healthz"):
        with late.get(path) as response:  # a static file's answer holds the file open until closed
            assert response.status_code in (200, 404), path
            assert "Set-Cookie" not in response.headers, path
    assert desk.get("/").status_code == 200  # still logged in
