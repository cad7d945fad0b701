"""The notices API: list, manual notice, cancel, and tenant isolation on every path."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from portal.services.notices.worker import Worker
from notices_helpers import make_patron, notices, record_for


@pytest.fixture
def api(world, client):
    tokens = {code: world.token(code) for code in ("R", "X")}

    def call(method, path, code="R", **kwargs):
        return client.open(f"/api/v1{path}", method=method, headers={"Authorization": f"Bearer {tokens[code]}"}, **kwargs)

    return call


def test_manual_email_now_and_list(world, api):
    make_patron(world, mobile=None)
    answer = api("POST", "/notices", json={"patron": "P001", "channel": "email", "subject": "蔵書点検のお知らせ",
                                           "body": "  来週は休館します。\n"})
    assert answer.status_code == 201, answer.get_json()
    notice = answer.get_json()
    assert (notice["type"], notice["channel"], notice["to"], notice["status"]) == ("MANUAL", "email",
                                                                                  "hanako@example.jp", "queued")
    assert notice["body"] == "来週は休館します。" and notice["segments"] == 0
    assert notice["history"][0]["status"] == "queued" and notice["history"][0]["user"] == "user_r"
    listed = api("GET", "/notices?patron=P001").get_json()
    assert [n["id"] for n in listed["items"]] == [notice["id"]]
    assert api("GET", "/notices?type=ARRIVED").get_json()["items"] == []


def test_manual_sms_scheduled_rounded_and_cancelled(world, api):
    make_patron(world)
    at = (datetime.now(timezone.utc) + timedelta(days=3)).replace(hour=6, minute=1, second=0, microsecond=0)
    answer = api("POST", "/notices", json={"patron": "P001", "channel": "sms", "body": "明日15時に予約資料をお渡しします。",
                                           "send_at": at.isoformat()})
    assert answer.status_code == 201, answer.get_json()
    notice = answer.get_json()
    assert notice["status"] == "scheduled"
    assert datetime.fromisoformat(notice["scheduled_for"]) == at.replace(minute=10)  # 06:01 -> 06:10 (SMSLINK)
    assert notice["subject"] == at.replace(minute=10).astimezone(timezone(timedelta(hours=9))).strftime("%Y%m%d%H%M%S")
    assert notice["segments"] == 2 and "配信停止" in notice["body"]
    assert Worker.from_config().run(once=True) == 0  # not due yet
    cancelled = api("POST", f"/notices/{notice['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert cancelled.get_json()["history"][-1]["detail"].startswith("配信取消")
    again = api("POST", f"/notices/{notice['id']}/cancel")
    assert again.status_code == 409 and again.get_json()["error"] == "conflict"


def test_cancel_once_sent_is_a_conflict(world, api):
    make_patron(world, mobile=None)
    notice = api("POST", "/notices", json={"patron": "P001", "channel": "email", "body": "x"}).get_json()
    assert Worker.from_config().run(once=True) == 1
    answer = api("POST", f"/notices/{notice['id']}/cancel")
    assert answer.status_code == 409 and "sent" in answer.get_json()["message"]
    assert api("GET", f"/notices/{notice['id']}").get_json()["status"] == "sent"


@pytest.mark.parametrize("body, field", [
    ({"channel": "email", "body": "x"}, "patron"),
    ({"patron": "P001", "channel": "fax", "body": "x"}, "channel"),
    ({"patron": "P001", "channel": "email"}, "body"),
    ({"patron": "P001", "channel": "email", "body": "   "}, "body"),
    ({"patron": "P001", "channel": "email", "body": 5}, "body"),
    ({"patron": "NOPE", "channel": "email", "body": "x"}, "patron"),
    ({"patron": "P001", "channel": "email", "body": "x", "send_at": "tomorrow"}, "send_at"),
    ({"patron": "P001", "channel": "email", "body": "x", "send_at": "2099-01-01T00:00:00+09:00"}, "send_at"),
    ({"patron": "P001", "channel": "sms", "body": "x"}, "channel"),  # no consent
    ({"patron": "P001", "channel": "email", "body": "x", "colour": "red"}, "colour"),
    ({"patron": "P001", "channel": "email", "body": "x", "track_clicks": "yes"}, "track_clicks"),
])
def test_bad_manual_notices_are_422_and_write_nothing(world, api, body, field):
    make_patron(world, consent=False)
    answer = api("POST", "/notices", json=body)
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["fields"]
    assert notices() == []


def test_sms_over_660_characters_is_refused(world, api):
    make_patron(world)
    answer = api("POST", "/notices", json={"patron": "P001", "channel": "sms", "body": "あ" * 640})
    assert answer.status_code == 422 and "660" in answer.get_json()["fields"]["body"]


def test_click_counting_rewrites_up_to_two_urls(world, api, client):
    make_patron(world)
    text = "詳細 https://lib.example.jp/a と https://lib.example.jp/b と https://lib.example.jp/c"
    notice = api("POST", "/notices", json={"patron": "P001", "channel": "sms", "body": text,
                                           "track_clicks": True}).get_json()
    assert notice["body"].count("https://ill.example.ac.jp/c/") == 2 and "https://lib.example.jp/c" in notice["body"]
    assert "https://lib.example.jp/a" not in notice["body"]
    link = notice["body"].split("https://ill.example.ac.jp/c/")[1].split()[0]
    for _ in range(2):
        answer = client.get(f"/c/{link}")
        assert answer.status_code == 302 and answer.headers["Location"] == "https://lib.example.jp/a"
    assert client.get("/c/not-a-token").status_code == 404
    clicks = api("GET", f"/notices/{notice['id']}").get_json()["clicks"]
    assert clicks == [{"url": "https://lib.example.jp/a", "clicks": 2}, {"url": "https://lib.example.jp/b", "clicks": 0}]


def test_notices_of_another_library_are_invisible(world, api):
    patron = make_patron(world, mobile=None)
    world.run("R", record_for(world, patron, "SHIPPED", kind="copy"), "RECEIVE")
    (mine,) = notices(type="ARRIVED")
    record = mine.record.ill_id
    assert api("GET", "/notices", code="X").get_json()["items"] == []
    assert api("GET", f"/notices?record={record}", code="X").get_json()["items"] == []
    assert api("GET", "/notices?patron=P001", code="X").get_json()["items"] == []
    assert api("GET", f"/notices/{mine.id}", code="X").status_code == 404
    assert api("POST", f"/notices/{mine.id}/cancel", code="X").status_code == 404
    assert api("POST", "/notices", code="X", json={"patron": "P001", "channel": "email", "body": "x"}).status_code == 422
    assert notices(id=mine.id)[0].status == "queued"
    assert [n["id"] for n in api("GET", f"/notices?record={record}").get_json()["items"]] == [mine.id]
    # the lender of the record sees none of the requester's patron notices either
    assert api("GET", f"/notices?record={record}", code="R").status_code == 200


@pytest.mark.parametrize("query, field", [("status=lost", "status"), ("type=SPAM", "type"), ("record=abc", "record"),
                                          ("channel=fax", "channel")])
def test_bad_filters(world, api, query, field):
    answer = api("GET", f"/notices?{query}")
    assert answer.status_code == 422 and field in answer.get_json()["fields"]


def test_receipts_need_the_provider_token(world, client, app):
    app.config["SMS_HTTP_TOKEN"] = ""
    assert client.post("/api/v1/notices/receipts", json={"id": "x", "status": "delivered"},
                       headers={"Authorization": "Bearer "}).status_code == 401
    app.config["SMS_HTTP_TOKEN"] = "tok"
    headers = {"Authorization": "Bearer tok"}
    assert client.post("/api/v1/notices/receipts", json={"id": "nope", "status": "delivered"},
                       headers=headers).status_code == 404
    bad = client.post("/api/v1/notices/receipts", json={"id": "x", "status": "read"}, headers=headers)
    assert bad.status_code == 422 and "status" in bad.get_json()["fields"]
    assert client.post("/api/v1/notices/receipts", data="[", headers=headers,
                       content_type="application/json").status_code == 422
