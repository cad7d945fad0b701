"""The send report: a library's notices of a date range per type, channel and state; bad dates
answered with the message and the inputs kept; another library's notices never counted."""
from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "web"))

from web_helpers import Desk  # noqa: E402

from notices_helpers import make_patron, notices, record_for  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.services import portal_today  # noqa: E402
from portal.services.notices.worker import Worker  # noqa: E402


@pytest.fixture
def desk(client, world):
    return Desk(client).as_user("R")


def cell(html: str, notice_type: str, channel: str, status: str) -> str:
    row = html.split(f'data-type="{notice_type}" data-channel="{channel}"')[1].split("</tr>")[0]
    return row.split(f'data-status="{status}">')[1].split("<")[0]


def test_counts_per_type_channel_and_state_for_the_range(world, desk):
    for number in range(3):
        patron = make_patron(world, number=f"P{number}", mobile=None, email=f"p{number}@example.jp")
        world.run("R", record_for(world, patron, "SHIPPED", kind="copy"), "RECEIVE")
    Worker.from_config().run(once=True)  # no SMTP configured: the file backend sends them
    first = notices(type="ARRIVED")[0]
    desk.post(f"/notices/{first.id}/cancel")  # already sent: stays sent
    patron = make_patron(world, number="P9", mobile=None, email="p9@example.jp")
    world.run("R", record_for(world, patron, "SHIPPED", kind="copy"), "RECEIVE")  # one more, queued
    other = make_patron(world, code="X", number="P1", mobile=None, email="x@example.jp")
    world.run("X", record_for(world, other, "SHIPPED", kind="copy", requester="X"), "RECEIVE")
    old = notices(patron_id=patron.id)[0]
    html = desk.get("/notices/report").get_data(as_text=True)
    assert cell(html, "ARRIVED", "email", "sent") == "3" and cell(html, "ARRIVED", "email", "queued") == "1"
    assert 'id="report-total">4<' in html  # X's notice is not R's
    old.created_at = old.created_at - timedelta(days=40)
    db.session.commit()
    html = desk.get("/notices/report").get_data(as_text=True)
    assert 'id="report-total">3<' in html and 'data-status="queued"' not in html
    day = (portal_today() - timedelta(days=40)).isoformat()
    html = desk.get(f"/notices/report?from={day}&to={day}").get_data(as_text=True)
    assert 'id="report-total">1<' in html and cell(html, "ARRIVED", "email", "queued") == "1"


@pytest.mark.parametrize("query, field", [("from=2026-13-01", "from"), ("from=yesterday", "from"),
                                          ("from=2026-04-02&to=2026-04-01", "to"),
                                          ("from=2024-01-01&to=2026-01-01", "to"), ("to=2026-04-01T00:00", "to")])
def test_bad_dates_are_answered_with_the_field_and_the_input_kept(world, desk, query, field):
    answer = desk.get(f"/notices/report?{query}")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and f'id="error-{field}"' in html and 'id="send-report"' not in html


def test_an_empty_period_the_login_and_the_japanese_labels(world, desk, client):
    html = desk.get("/notices/report?from=2001-01-01&to=2001-01-31").get_data(as_text=True)
    assert "この期間の通知はありません。" in html and 'value="2001-01-01"' in html
    assert "送信レポート" in desk.get("/notices").get_data(as_text=True)
    desk.logout()
    assert client.get("/notices/report").status_code == 302
