"""/settings (managers), libraries and users (admins), API tokens (everyone)."""
import re

import pytest

from portal.extensions import db
from portal.models import ApiToken, CommentTemplate, Library, User
from portal.models.user import hash_token
from portal.services.admin import add_user
from web_helpers import Desk


def library(code: str) -> Library:
    db.session.expire_all()
    return db.session.scalar(db.select(Library).where(Library.code == code))


def test_settings_page(world, desk):
    desk.as_user("R")
    html = desk.get("/settings").get_data(as_text=True)
    assert 'name="loan_days"' in html and 'name="copy_service"' in html and 'name="slip_size"' in html
    assert 'value="参照不完"' in html and 'value="incomplete citation"' in html  # default templates, gloss apart
    assert "要全頁複写許可願" in html and "要前頁" not in html
    assert 'id="fees-copy"' in html and 'id="fees-loan"' in html


def test_save_library_settings(world, desk):
    desk.as_user("R")
    response = desk.post("/settings", {"loan_days": "21", "address": "札幌市", "email": "ill@r.example",
                                       "phone": "011", "slip_size": "A4", "service": "1", "copy_service": "1"})
    assert response.status_code == 302
    lib = library("R")
    assert lib.loan_days == 21 and lib.address == "札幌市" and lib.slip_size == "A4"
    assert lib.service and lib.copy_service and not lib.loan_service


def test_bad_loan_period_keeps_inputs(world, desk):
    desk.as_user("R")
    response = desk.post("/settings", {"loan_days": "lots", "address": "札幌市北区", "slip_size": "A5"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="lots"' in html and "札幌市北区" in html and 'id="error-loan_days"' in html
    assert desk.post("/settings", {"loan_days": "999", "slip_size": "A5"}).status_code == 422


def test_comment_templates_add_edit_move_delete(world, desk):
    desk.as_user("R")
    assert desk.post("/settings/templates", {"command": "lender:SEND", "text": "同封の請求書をご確認ください"}).status_code == 302
    assert desk.post("/settings/templates", {"command": "lender:SEND", "text": "電子送付しました",
                                             "gloss": "sent electronically"}).status_code == 302

    def send_templates():
        return [t.text for t in library("R").templates if t.command == "SEND"]

    assert send_templates() == ["同封の請求書をご確認ください", "電子送付しました"]
    second = next(t for t in library("R").templates if t.text == "電子送付しました")
    assert (second.side, second.gloss) == ("lender", "sent electronically")
    desk.post(f"/settings/templates/{second.id}", {"action": "up", "command": "lender:SEND"})
    assert send_templates() == ["電子送付しました", "同封の請求書をご確認ください"]
    desk.post(f"/settings/templates/{second.id}", {"action": "save", "text": "PDFで送付しました"})
    assert send_templates()[0] == "PDFで送付しました"
    desk.post(f"/settings/templates/{second.id}", {"action": "delete"})
    assert send_templates() == ["同封の請求書をご確認ください"]


@pytest.mark.parametrize("command", ["requester:SEND", "lender:ORDER", "both:SAVE", "lender:NOPE", "SEND", ""])
def test_a_template_for_a_command_the_side_does_not_have_is_refused(world, desk, command):
    desk.as_user("R")
    before = len(library("R").templates)
    assert desk.post("/settings/templates", {"command": command, "text": "何か"}).status_code == 302
    assert len(library("R").templates) == before


def test_templates_per_side_of_a_command_both_sides_have(world, desk):
    desk.as_user("R")
    desk.post("/settings/templates", {"command": "requester:CLAIM", "text": "裏写りで読めません"})
    by_side = {(t.side, t.command, t.text) for t in library("R").templates}
    assert ("requester", "CLAIM", "裏写りで読めません") in by_side
    assert ("lender", "CLAIM", "更新可") in by_side and ("requester", "CLAIM", "更新可") not in by_side
    html = desk.get("/settings").get_data(as_text=True)
    assert 'id="templates-requester-CLAIM"' in html and 'id="templates-lender-CLAIM"' in html


def test_templates_of_another_library_are_out_of_reach(world, desk):
    other = db.session.scalars(db.select(CommentTemplate).where(
        CommentTemplate.library_id == world.libraries["L1"].id)).first()
    desk.as_user("R")
    assert desk.post(f"/settings/templates/{other.id}", {"action": "delete"}).status_code == 404


def test_templates_show_in_the_command_form(world, desk):
    record = world.record("PROCESSING")
    desk.as_user("L1")
    desk.post("/settings/templates", {"command": "lender:SEND", "text": "<b>太字</b>にしない"})
    html = desk.get(f"/records/{record.ill_id}/commands/SEND", htmx=True).get_data(as_text=True)
    assert "&lt;b&gt;太字&lt;/b&gt;にしない" in html


def test_fee_defaults(world, desk):
    desk.as_user("R")
    data = [("fee_editor", "default-copy"), ("fee_item", "A4"), ("fee_quantity", "10"), ("fee_unit_price", "30"),
            ("fee_item", "B4"), ("fee_quantity", "1"), ("fee_unit_price", "40"), ("base_fee", "0"),
            ("postage", "140")]
    assert desk.post("/settings/fees/copy", data).status_code == 302
    default = library("R").fee_default("copy")
    assert [g["item"] for g in default.groups] == ["A4", "B4"] and int(default.postage) == 140
    bad = [("fee_item", "A4"), ("fee_quantity", "-1"), ("fee_unit_price", "30"), ("base_fee", ""), ("postage", "")]
    response = desk.post("/settings/fees/loan", bad)
    assert response.status_code == 422 and 'value="-1"' in response.get_data(as_text=True)
    response = desk.post("/settings/fees/loan", bad + [("fee_action", "add")])
    assert response.get_data(as_text=True).count('id="default-loan-item-') == 2


def test_admin_adds_library_and_user(world, desk):
    add_user("root", "R", "secret-pass-1", "admin")
    desk.login("root")
    response = desk.post("/settings/libraries", {"code": "FA9", "name": "新図書館", "loan_days": "10",
                                                 "network": "NII", "address": "", "email": ""})
    assert response.status_code == 302 and library("FA9").loan_days == 10
    response = desk.post("/settings/libraries", {"code": "FA9", "name": "dup", "loan_days": "10", "network": "NII"})
    assert response.status_code == 422 and 'id="error-code"' in response.get_data(as_text=True)
    response = desk.post("/settings/users", {"username": "newbie", "library": "FA9", "password": "long-enough-1",
                                             "role": "staff"})
    assert response.status_code == 302
    response = desk.post("/settings/users", {"username": "shorty", "library": "FA9", "password": "short",
                                             "role": "staff"})
    assert response.status_code == 422 and 'value="shorty"' in response.get_data(as_text=True)
    assert db.session.scalar(db.select(User).where(User.username == "newbie")).library.code == "FA9"


def test_api_token_shown_once_then_revoked(world, desk):
    desk.as_user("R")
    response = desk.post("/settings/tokens", {"label": "scanner 1"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/settings/tokens")
    shown = desk.get("/settings/tokens")
    assert shown.headers["Cache-Control"] == "no-store"
    secret = re.search(r'id="token-secret"[^>]*>([^<]+)<', shown.get_data(as_text=True)).group(1)
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    assert token is not None and token.label == "scanner 1"
    # a reload shows the list without the secret, and issues nothing
    listing = desk.get("/settings/tokens").get_data(as_text=True)
    assert secret not in listing and "scanner 1" in listing and 'id="token-secret"' not in listing
    assert db.session.scalar(db.select(db.func.count(ApiToken.id))) == 1
    # revoking asks first (a page with the question), then the POST revokes
    question = desk.get(f"/settings/tokens/{token.id}/revoke")
    assert question.status_code == 200 and "scanner 1" in question.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is None
    assert f'href="/settings/tokens/{token.id}/revoke"' in listing
    assert desk.post(f"/settings/tokens/{token.id}/revoke").status_code == 302
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    assert desk.get(f"/settings/tokens/{token.id}/revoke").status_code == 404  # already revoked


def test_cannot_revoke_someone_elses_token(world, desk):
    from portal.services.admin import issue_token
    issue_token(world.user("L1"), "theirs")
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.label == "theirs"))
    desk.as_user("R")
    assert desk.post(f"/settings/tokens/{token.id}/revoke").status_code == 404
    assert desk.get(f"/settings/tokens/{token.id}/revoke").status_code == 404


def admin_desk(desk):
    add_user("root", "R", "secret-pass-1", "admin")
    assert desk.login("root").status_code == 302
    return desk


def user(username: str) -> User:
    db.session.expire_all()
    return db.session.scalar(db.select(User).where(User.username == username))


LIBRARY_FORM = {"name": "第一図書館", "address": "仙台市", "email": "ill@l1.example", "phone": "022",
                "loan_days": "30", "network": "NII", "currency": "jpy", "slip_size": "A4", "copy_service": "1"}


def test_admin_edits_a_library(world, desk):
    admin_desk(desk)
    html = desk.get("/settings/libraries").get_data(as_text=True)
    assert 'action="/settings/libraries/L1"' in html and 'name="currency"' in html
    response = desk.post("/settings/libraries/L1", LIBRARY_FORM)
    assert response.status_code == 302, response.get_data(as_text=True)
    lib = library("L1")
    assert (lib.name, lib.loan_days, lib.currency, lib.slip_size, lib.phone) == ("第一図書館", 30, "JPY", "A4", "022")
    assert lib.copy_service and not lib.loan_service and not lib.service
    response = desk.post("/settings/libraries/L1", {**LIBRARY_FORM, "loan_days": "400", "name": "改名"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="400"' in html and 'value="改名"' in html and 'id="error-loan_days"' in html
    response = desk.post("/settings/libraries/L1", {**LIBRARY_FORM, "currency": "yen!", "name": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="error-currency"' in html and 'id="error-name"' in html
    assert library("L1").name == "第一図書館"
    response = desk.post("/settings/libraries/L1", {**LIBRARY_FORM, "email": "not-an-email"})
    assert response.status_code == 422 and 'id="error-email"' in response.get_data(as_text=True)
    assert library("L1").email == "ill@l1.example"
    assert desk.post("/settings/libraries/NOPE", LIBRARY_FORM).status_code == 404
    assert desk.post("/settings/libraries/L1", LIBRARY_FORM, csrf=False).status_code == 400


def test_admin_sets_a_library_s_book_band_client_and_ill_section(world, desk):
    admin_desk(desk)
    html = desk.get("/settings/libraries").get_data(as_text=True)
    assert 'name="slip_client"' in html and 'name="ill_section"' in html and 'value="number"' in html
    response = desk.post("/settings/libraries/L1", {**LIBRARY_FORM, "slip_client": "number", "ill_section": "相互貸借係"})
    assert response.status_code == 302
    lib = library("L1")
    assert (lib.slip_client, lib.ill_section) == ("number", "相互貸借係")
    response = desk.post("/settings/libraries/L1", {**LIBRARY_FORM, "slip_client": "all", "ill_section": "ILL"})
    assert response.status_code == 422 and 'id="error-slip_client"' in response.get_data(as_text=True)
    assert library("L1").ill_section == "相互貸借係"
    # a form without them (an older page) leaves them as they are
    assert desk.post("/settings/libraries/L1", LIBRARY_FORM).status_code == 302
    assert (library("L1").slip_client, library("L1").ill_section) == ("number", "相互貸借係")


@pytest.mark.parametrize("change, field", [({"name": ""}, "name"), ({"name": "   "}, "name"),
                                           ({"email": "not-an-email"}, "email"), ({"email": "a@b@c.example"}, "email")])
def test_admin_cannot_add_a_library_without_a_name_or_with_a_bad_email(world, desk, change, field):
    admin_desk(desk)
    form = {"code": "FA77", "name": "新図書館", "email": "ill@new.example", "loan_days": "14", "network": "NII",
            **change}
    response = desk.post("/settings/libraries", form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="error-{field}"' in html and 'value="FA77"' in html
    assert library("FA77") is None


def test_a_manager_cannot_save_a_bad_email(world, desk):
    desk.as_user("R")
    response = desk.post("/settings", {"loan_days": "14", "email": "not-an-email", "slip_size": "A5"})
    assert response.status_code == 422
    assert 'id="error-email"' in response.get_data(as_text=True) and 'value="not-an-email"' in response.get_data(as_text=True)
    assert library("R").email != "not-an-email"
    assert desk.post("/settings", {"loan_days": "14", "email": "ill@r.example", "slip_size": "A5"}).status_code == 302


def test_only_admins_edit_libraries_and_other_libraries_users(world, desk):
    desk.as_user("R")  # a manager
    assert desk.post("/settings/libraries/L1", LIBRARY_FORM).status_code == 403
    target = world.user("L1")
    assert desk.post(f"/settings/users/{target.id}", {"role": "admin", "library": "R", "active": "1"}).status_code == 403
    assert user("user_l1").role == "manager" and library("L1").name == "Library L1"


def test_a_manager_manages_their_own_librarys_staff(world, desk):
    admin = add_user("root", "R", "secret-pass-1", "admin")
    desk.as_user("R")  # user_r, a manager of R
    page = desk.get("/settings/users").get_data(as_text=True)
    assert "user_r" in page and "user_l1" not in page and "root" not in page  # own library, no admins
    assert 'name="library"' in page and 'type="hidden" name="library" value="R"' in page
    # add: always to the manager's own library, whatever is posted
    response = desk.post("/settings/users", {"username": "newbie", "library": "L1", "password": "long-enough-1",
                                             "role": "staff"})
    assert response.status_code == 302
    newbie = user("newbie")
    assert (newbie.library.code, newbie.role) == ("R", "staff")
    # a manager may not make an admin
    response = desk.post("/settings/users", {"username": "boss", "library": "R", "password": "long-enough-1",
                                             "role": "admin"})
    assert response.status_code == 422 and user("boss") is None
    # deactivate and reset a password
    response = desk.post(f"/settings/users/{newbie.id}", {"role": "staff", "password": "another-pass-2"})
    assert response.status_code == 302
    newbie = user("newbie")
    assert not newbie.active and newbie.check_password("another-pass-2")
    # promote within the library, but never to admin nor to another library
    assert desk.post(f"/settings/users/{newbie.id}", {"role": "manager", "active": "1", "library": "L1"}).status_code == 302
    assert (user("newbie").role, user("newbie").library.code, user("newbie").active) == ("manager", "R", True)
    assert desk.post(f"/settings/users/{newbie.id}", {"role": "admin", "active": "1"}).status_code == 422
    assert user("newbie").role == "manager"
    # never an admin of the same library, never another library's user
    assert desk.post(f"/settings/users/{admin.id}", {"role": "staff", "active": "1"}).status_code == 403
    assert desk.post(f"/settings/users/{world.user('L1').id}", {"role": "staff"}).status_code == 403
    assert user("root").role == "admin" and user("user_l1").active


def test_staff_cannot_manage_users(world, desk):
    add_user("plain", "R", "secret-pass-1", "staff")
    assert desk.login("plain").status_code == 302
    assert desk.get("/settings/users").status_code == 403
    assert desk.post("/settings/users", {"username": "x1", "password": "long-enough-1", "role": "staff"}).status_code == 403
    assert user("x1") is None


def test_admin_changes_role_library_and_password(world, desk):
    admin_desk(desk)
    target = world.user("L1")
    html = desk.get("/settings/users").get_data(as_text=True)
    assert f'action="/settings/users/{target.id}"' in html
    response = desk.post(f"/settings/users/{target.id}", {"role": "staff", "library": "L2", "active": "1",
                                                          "password": "brand-new-pass"})
    assert response.status_code == 302, response.get_data(as_text=True)
    changed = user("user_l1")
    assert changed.role == "staff" and changed.library.code == "L2" and changed.check_password("brand-new-pass")
    response = desk.post(f"/settings/users/{target.id}", {"role": "staff", "library": "L2", "active": "1",
                                                          "password": ""})  # empty: unchanged
    assert response.status_code == 302 and user("user_l1").check_password("brand-new-pass")
    response = desk.post(f"/settings/users/{target.id}", {"role": "boss", "library": "NOPE", "active": "1",
                                                          "password": "short"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="error-role"' in html and 'id="error-library"' in html and 'id="error-password"' in html
    assert user("user_l1").role == "staff"
    assert desk.post("/settings/users/999999", {"role": "staff", "library": "L2"}).status_code == 404


def test_deactivated_user_cannot_log_in_or_use_tokens_and_can_be_reactivated(world, desk, other_desk, client, app):
    secret = world.token("L1")
    other_desk.as_user("L1")  # a session open before the change
    admin_desk(desk)
    target = world.user("L1")
    response = desk.post(f"/settings/users/{target.id}", {"role": "manager", "library": "L1"})  # box not ticked
    assert response.status_code == 302 and not user("user_l1").active
    assert 'user_l1 <span class="muted">(' in desk.get("/settings/users").get_data(as_text=True)  # marked
    assert other_desk.get("/").status_code == 302  # the open session ends
    assert other_desk.login("user_l1").status_code != 302
    assert client.get("/api/v1/records", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    response = desk.post(f"/settings/users/{target.id}", {"role": "manager", "library": "L1", "active": "1"})
    assert response.status_code == 302 and user("user_l1").active
    assert Desk(app.test_client()).login("user_l1").status_code == 302


def test_admin_cannot_demote_or_deactivate_themselves(world, desk):
    admin_desk(desk)
    me = user("root")
    response = desk.post(f"/settings/users/{me.id}", {"role": "staff", "library": "R", "active": "1"})
    assert response.status_code == 422 and 'id="error-role"' in response.get_data(as_text=True)
    response = desk.post(f"/settings/users/{me.id}", {"role": "admin", "library": "R"})
    assert response.status_code == 422 and 'id="error-active"' in response.get_data(as_text=True)
    me = user("root")
    assert me.role == "admin" and me.active


def test_due_soon_days_setting(world, desk):
    desk.as_user("R")
    assert 'name="due_soon_days" type="text" value="3"' in desk.get("/settings").get_data(as_text=True)
    for bad in ("x", "61", "-1"):
        response = desk.post("/settings", {"loan_days": "14", "due_soon_days": bad, "slip_size": "A5"})
        assert response.status_code == 422 and 'id="error-due_soon_days"' in response.get_data(as_text=True)
    assert library("R").due_soon_days == 3
    assert desk.post("/settings", {"loan_days": "14", "due_soon_days": "7", "slip_size": "A5"}).status_code == 302
    assert library("R").due_soon_days == 7
