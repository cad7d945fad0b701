"""Log-in, log-out and the log-in requirement of every staff page."""
import pytest

from portal.services.admin import add_user

from web_helpers import HTMX, csrf_token

PROTECTED = [
    "/", "/?side=lender", "/records/new", "/records/1000000001", "/records/1000000001/commands/RECEIVE",
    "/search", "/search?q=1000000001", "/settings", "/settings/tokens", "/settings/libraries", "/settings/users",
]


def test_login_page(client):
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'for="username"' in html and 'for="password"' in html
    assert 'name="csrf_token"' in html


def test_login_and_logout(world, desk):
    response = desk.login("user_r")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = desk.get("/").get_data(as_text=True)
    assert "user_r" in page and "Library R" in page
    response = desk.logout()
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert desk.get("/").status_code == 302


def test_failed_login_says_so_and_keeps_the_user_name(world, desk):
    response = desk.login("user_r", "wrong-password", follow=True)
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert "Unknown user name or wrong password." in html or "ユーザ名またはパスワードが正しくありません。" in html
    assert 'value="user_r"' in html


def test_inactive_user_cannot_log_in(world, desk):
    world.user("R").active = False
    from portal.extensions import db
    db.session.commit()
    assert desk.login("user_r").status_code == 401


def test_logout_needs_post_with_csrf(world, desk):
    desk.as_user("R")
    assert desk.get("/logout").status_code == 405
    assert desk.post("/logout", csrf=False).status_code == 400
    assert desk.get("/").status_code == 200  # still logged in


def test_login_redirects_only_to_local_pages(world, client):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login?next=https://evil.example/", data={
        "username": "user_r", "password": "secret-pass-1", "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_login_returns_to_the_requested_page(world, client):
    response = client.get("/search?q=abc")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(response.headers["Location"], data={
        "username": "user_r", "password": "secret-pass-1", "csrf_token": token})
    assert response.headers["Location"] == "/search?q=abc"


@pytest.mark.parametrize("url", PROTECTED)
def test_every_page_needs_log_in(world, client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("url", ["/records/new", "/fees/preview", "/records/1000000001/commands/RECEIVE",
                                 "/settings", "/settings/tokens", "/language"])
def test_posts_need_log_in(world, client, url):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token})
    if url == "/language":  # the language switch also works on the log-in page
        assert response.status_code == 302
    else:
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_htmx_request_after_session_end_reloads_the_log_in_page(world, client):
    response = client.get("/", headers=HTMX)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_staff_cannot_open_settings_managers_can(world, desk, other_desk):
    add_user("staffer", "R", "secret-pass-1", "staff")
    desk.login("staffer")
    assert desk.get("/settings").status_code == 403
    assert desk.get("/settings/libraries").status_code == 403
    assert desk.post("/settings", {"loan_days": "20"}).status_code == 403
    assert desk.get("/settings/tokens").status_code == 200  # own tokens: everyone
    assert "/settings\"" not in desk.get("/").get_data(as_text=True)  # no link either
    other_desk.as_user("R")  # a manager
    assert other_desk.get("/settings").status_code == 200
    assert other_desk.get("/settings/users").status_code == 200  # their own library's staff
    assert other_desk.get("/settings/libraries").status_code == 403  # admins only
    assert desk.get("/settings/users").status_code == 403


def test_admin_sees_libraries_and_users(world, desk):
    add_user("root", "R", "secret-pass-1", "admin")
    desk.login("root")
    assert desk.get("/settings/libraries").status_code == 200
    assert desk.get("/settings/users").status_code == 200
