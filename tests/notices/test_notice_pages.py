"""Notice pages: history and queue health per library, manual notice with confirmation,
the live SMS count, the public opt-out link and tenant isolation."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "web"))

from web_helpers import Desk, csrf_token  # noqa: E402

from portal.services.notices.worker import Worker  # noqa: E402
from notices_helpers import make_patron, notices, record_for  # noqa: E402


@pytest.fixture
def desk(client, world):
    return Desk(client).as_user("R")


def test_library_page_lists_own_notices_with_filters_and_health(world, desk, app):
    patron = make_patron(world, mobile=None)
    record = record_for(world, patron, "SHIPPED", kind="copy")
    world.run("R", record, "RECEIVE")
    page = desk.get("/notices").get_data(as_text=True)
    assert "ARRIVED" in page and "hanako@example.jp" in page and record.ill_id in page
    assert 'id="health-waiting">1<' in page and 'data-stale="1"' in page
    Worker.from_config().run(once=True)
    page = desk.get("/notices?status=sent").get_data(as_text=True)
    assert "ARRIVED" in page and 'id="health-waiting">0<' in page and 'data-stale="0"' in page
    assert "ARRIVED" not in desk.get("/notices?status=failed").get_data(as_text=True).split('id="results"')[1]
    fragment = desk.get(f"/notices?record={record.ill_id}", htmx=True).get_data(as_text=True)
    assert "<html" not in fragment and "ARRIVED" in fragment
    bad = desk.get("/notices?record=abc").get_data(as_text=True)
    assert "ILL" in bad  # the page still renders, with the message


def test_other_library_sees_nothing(world, app):
    patron = make_patron(world, mobile=None)
    world.run("R", record_for(world, patron, "SHIPPED", kind="copy"), "RECEIVE")
    (notice,) = notices(type="ARRIVED")
    other = Desk(app.test_client()).as_user("X")
    page = other.get("/notices").get_data(as_text=True)
    assert "hanako@example.jp" not in page and "ARRIVED" not in page.split('id="results"')[1]
    assert other.post(f"/notices/{notice.id}/cancel").status_code == 302
    assert notices(id=notice.id)[0].status == "queued"  # not cancelled by another library
    lender = Desk(app.test_client()).as_user("L1")
    assert "hanako@example.jp" not in lender.get("/notices").get_data(as_text=True)
    assert other.get("/notices/letters/letters-x.pdf").status_code == 404


def test_pages_need_a_login(client):
    for url in ("/notices", "/notices/new"):
        assert client.get(url).status_code == 302
    assert client.post("/notices/count", data={"body": "x"}).status_code in (302, 400)


def test_manual_sms_with_confirmation(world, desk):
    make_patron(world)
    form = {"patron": "P001", "channel": "sms", "subject": "", "body": "\n 返却期限のお知らせです。\n", "send_at": ""}
    check = desk.post("/notices/new", form)
    page = check.get_data(as_text=True)
    assert check.status_code == 200 and 'id="confirm"' in page and "返却期限のお知らせです。" in page
    assert "配信停止" in page and 'id="confirm-count"' in page
    assert notices() == []  # nothing is written before the confirmation
    sent = desk.post("/notices/new", {**form, "confirmed": "1"})
    assert sent.status_code == 302
    (notice,) = notices(type="MANUAL")
    assert notice.channel == "sms" and notice.status == "queued" and notice.body.startswith("返却期限のお知らせです。")


def test_manual_notice_errors_keep_the_inputs(world, desk):
    make_patron(world, consent=False)
    answer = desk.post("/notices/new", {"patron": "P001", "channel": "sms", "body": "お知らせ本文"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "お知らせ本文" in page and 'aria-invalid="true"' in page
    assert notices() == []


def test_live_count_uses_the_segment_rules(world, desk):
    answer = desk.post("/notices/count", {"channel": "sms", "body": "a" * 100, "footer": "0"}, htmx=True)
    text = answer.get_data(as_text=True)
    assert 'data-characters="100"' in text and 'data-segments="1"' in text and "GSM-7" in text
    text = desk.post("/notices/count", {"channel": "sms", "body": "あ" * 661, "footer": "0"}, htmx=True).get_data(as_text=True)
    assert 'id="sms-too-long"' in text and 'data-segments="10"' in text and "docomo 11 / au 10" in text


def test_opt_out_link_works_without_login_and_stops_queued_sms(world, app):
    patron = make_patron(world)
    record = record_for(world, patron, "SHIPPED", kind="copy")
    world.run("R", record, "RECEIVE")
    sms = notices(type="ARRIVED", channel="sms")[0]
    other = record_for(world, patron, "SHIPPED", kind="copy")
    world.run("R", other, "RECEIVE")
    assert [n.status for n in notices(channel="sms")] == ["queued", "queued"]
    browser = app.test_client()  # not logged in
    Desk(browser).forget_cached_user()
    page = browser.get(f"/o/{sms.opt_out_token}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Library R" in text and "SMS" in text
    assert browser.get("/o/guess-a-token").status_code == 404
    Desk(browser).forget_cached_user()
    done = browser.post(f"/o/{sms.opt_out_token}", data={"csrf_token": csrf_token(text)})
    assert done.status_code == 200 and 'id="opt-out-done"' in done.get_data(as_text=True)
    assert [n.status for n in notices(channel="sms")] == ["suppressed", "suppressed"]
    assert all(n.events[-1].detail == "SMS opt-out (link)" for n in notices(channel="sms"))
    assert [n.status for n in notices(channel="email", type="ARRIVED")] == ["queued", "queued"]  # e-mail still goes
    from portal.extensions import db
    from portal.models.patron import Patron

    db.session.expire_all()
    latest = db.session.get(Patron, patron.id).consents[-1]
    assert (latest.action, latest.method, latest.recorded_by_id) == ("withdrawn", "link", None)
    # a later notice goes without SMS
    third = record_for(world, patron, "SHIPPED", kind="copy")
    world.run("R", third, "RECEIVE")
    assert [n.channel for n in notices(record_id=third.id, type="ARRIVED")] == ["email", "sms"]
    assert notices(record_id=third.id, channel="sms")[0].status == "suppressed"


def test_type_settings_saved_and_bad_days_refused(world, desk):
    page = desk.get("/settings/notices")
    assert page.status_code == 200 and 'id="type-OVERDUE"' in page.get_data(as_text=True)
    bad = desk.post("/settings/notices/types/OVERDUE", [("channels", "email"), ("policy", "all"), ("days", "1, x")])
    assert bad.status_code == 422 and 'value="1, x"' in bad.get_data(as_text=True)
    ok = desk.post("/settings/notices/types/OVERDUE", [("channels", "email"), ("channels", "print"),
                                                         ("policy", "first"), ("days", "2,9,20")])
    assert ok.status_code == 302
    from portal.services.notices.preferences import type_setting

    setting = type_setting(world.libraries["R"].id, "OVERDUE")
    assert (setting.channels, setting.policy, setting.days) == (frozenset({"email", "print"}), "first", (2, 9, 20))


def test_template_editor_refuses_what_does_not_render_and_goes_back_to_default(world, desk):
    url = "/settings/notices/templates/ARRIVED/sms/ja"
    assert "{{ patron.name }}様" in desk.get(url).get_data(as_text=True)
    broken = desk.post(url, {"name": "到着", "body": "{{ patron.nmae }}様 到着しました", "action": "save"})
    assert broken.status_code == 422 and "nmae" in broken.get_data(as_text=True)
    unclosed = desk.post(url, {"body": "{% if x %}到着", "action": "save"})
    assert unclosed.status_code == 422 and "TemplateSyntaxError" in unclosed.get_data(as_text=True)
    long = desk.post(url, {"body": "あ" * 620, "action": "save"})
    assert long.status_code == 422 and "660" in long.get_data(as_text=True)
    preview = desk.post(url, {"body": "{{ patron.name }}様 {{ record.title }} が届きました", "action": "preview"})
    assert preview.status_code == 200 and "山田 花子様 日本図書館情報学会誌 が届きました" in preview.get_data(as_text=True)
    assert desk.post(url, {"name": "短い版", "body": "{{ patron.name }}様 ILL資料が届きました", "action": "save"}).status_code == 302
    patron = make_patron(world, email=None)
    record = record_for(world, patron, "SHIPPED", kind="copy")
    world.run("R", record, "RECEIVE")
    (sms,) = notices(type="ARRIVED")
    assert sms.body.startswith("山田 花子様 ILL資料が届きました\nLibrary R\n配信停止: ")
    assert desk.post(url + "/reset").status_code == 302
    assert "{{ patron.name }}様 ILL資料「" in desk.get(url).get_data(as_text=True)


def test_settings_are_for_managers_and_own_library(world, app):
    from portal.services.admin import add_user

    add_user("staff_r", "R", "secret-pass-1", "staff")
    staff = Desk(app.test_client())
    assert staff.login("staff_r").status_code == 302
    assert staff.get("/settings/notices").status_code == 403
    assert staff.post("/settings/notices/types/OVERDUE", {"channels": "email"}).status_code == 403
    other = Desk(app.test_client()).as_user("X")
    assert other.post("/settings/notices/templates/ARRIVED/sms/ja",
                      {"body": "X の雛形", "action": "save"}).status_code == 302
    from portal.services.notices.templates import template_for

    assert template_for(world.libraries["R"].id, "ARRIVED", "sms", "ja")[2] is True  # R still has the default
    assert template_for(world.libraries["X"].id, "ARRIVED", "sms", "ja")[1] == "X の雛形"


def test_connection_tests_report_success_or_the_exact_failure(world, desk, app, sms_provider):
    email = desk.post("/settings/notices/test/email")
    assert email.status_code == 200 and 'data-ok="1"' in email.get_data(as_text=True)
    app.config.update(SMS_BACKEND="http", SMS_HTTP_URL=sms_provider.url, SMS_HTTP_TOKEN="wrong")
    bad = desk.post("/settings/notices/test/sms")
    assert bad.status_code == 502 and "HTTP 401" in bad.get_data(as_text=True)
    app.config["SMS_HTTP_TOKEN"] = sms_provider.token
    good = desk.post("/settings/notices/test/sms", {"to": "+819012345678"})
    assert good.status_code == 200 and "msg-1" in good.get_data(as_text=True)
    assert sms_provider.requests[-1].body["to"] == "+819012345678"


def test_record_page_shows_its_notices_to_the_own_library_only(world, desk, app):
    world.libraries["L1"].email = "ill@l1.example.jp"
    from portal.extensions import db

    db.session.commit()
    patron = make_patron(world, mobile=None)
    record = record_for(world, patron, "SHIPPED", kind="copy")
    world.run("R", record, "RECEIVE")
    page = desk.get(f"/records/{record.ill_id}").get_data(as_text=True)
    panel = page.split('id="record-notices"')[1]
    assert "ARRIVED" in panel and "hanako@example.jp" in panel and "PARTNER_NEW_REQUEST" not in panel
    lender = Desk(app.test_client()).as_user("L1")
    page = lender.get(f"/records/{record.ill_id}").get_data(as_text=True)
    assert "hanako@example.jp" not in page and "ARRIVED" not in page.split('id="record-notices"')[1]
    assert "PARTNER_NEW_REQUEST" in page  # the lender's own alert
    # each notice under its type's name and its channel's, in the user's language
    ja = desk.get(f"/records/{record.ill_id}", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    cells = ja.split('id="record-notices"')[1].split("</table>")[0]
    assert '<span title="ARRIVED">資料到着</span>' in cells and "<td class=\"nowrap\">メール" in cells
    assert "メールアドレス" not in cells
    Worker.from_config().run(once=True)
    ja = desk.get(f"/records/{record.ill_id}", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    cells = ja.split('id="record-notices"')[1].split("</table>")[0]
    assert "送信済み" in cells and "発送日" not in cells  # a notice's state, not the record's SDATE label
    settings = desk.get("/settings/notices", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert 'value="email"> メール</label>' in settings and "メールアドレス ja" not in settings


def test_the_send_result_follows_the_worker_until_the_notice_is_final(world, desk, app):
    """Seed 003 (送信後に送信結果を表示する): after an immediate manual send the list opens with the
    notice's result, which htmx asks for again until the worker has sent it (or it failed)."""
    make_patron(world, mobile=None)
    form = {"patron": "P001", "channel": "email", "subject": "休館", "body": "本日は休館です。", "send_at": "",
            "confirmed": "1"}
    sent = desk.post("/notices/new", form)
    (notice,) = notices(type="MANUAL")
    assert sent.status_code == 302 and f"watch={notice.id}" in sent.headers["Location"]
    page = desk.get(sent.headers["Location"]).get_data(as_text=True)
    assert 'id="send-result"' in page and 'data-status="queued"' in page
    assert f'hx-get="/notices/{notice.id}/result?n=0"' in page and 'hx-trigger="every 2s"' in page
    box = desk.get(f"/notices/{notice.id}/result?n=0", htmx=True).get_data(as_text=True)
    assert 'data-status="queued"' in box and f"/notices/{notice.id}/result?n=1" in box and "<html" not in box
    Worker.from_config().run(once=True)
    box = desk.get(f"/notices/{notice.id}/result?n=1", htmx=True).get_data(as_text=True)
    assert 'data-status="sent"' in box and "hx-trigger" not in box  # final: the polling stops
    assert "written by the" in box or "accepted" in box  # the worker's detail
    tired = desk.get(f"/notices/{notice.id}/result?n=150", htmx=True).get_data(as_text=True)
    assert "hx-trigger" not in tired  # never more than 150 asks


def test_the_send_result_of_another_librarys_notice_is_not_shown(world, desk, app):
    make_patron(world, mobile=None)
    desk.post("/notices/new", {"patron": "P001", "channel": "email", "subject": "", "body": "x", "send_at": "",
                               "confirmed": "1"})
    (notice,) = notices(type="MANUAL")
    other = Desk(app.test_client()).as_user("X")
    assert other.get(f"/notices/{notice.id}/result").status_code == 404
    assert 'id="send-result"' not in other.get(f"/notices?watch={notice.id}").get_data(as_text=True)
    for bad in ("abc", "-1", "9" * 50, "0"):
        assert other.get(f"/notices?watch={bad}").status_code == 200
    assert desk.get(f"/notices/{notice.id}/result?n={'9' * 60}").status_code == 200
