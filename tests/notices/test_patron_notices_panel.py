"""The patron page's Notices panel: the patron's notices of the signed-in library, with their
state and history, cancelling a queued one from the panel; nothing of another library's."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "web"))

from web_helpers import Desk  # noqa: E402

from notices_helpers import make_patron, notices, record_for  # noqa: E402


@pytest.fixture
def desk(client, world):
    return Desk(client).as_user("R")


def panel(html: str) -> str:
    return html.split('id="patron-notices"')[1].split("</section>")[0]


def test_the_panel_lists_the_patrons_notices_and_cancels_from_there(world, desk):
    patron = make_patron(world, mobile=None)
    other = make_patron(world, number="P002", name="佐藤 一郎", email="ichiro@example.jp", mobile=None)
    world.run("R", record_for(world, patron, "SHIPPED", kind="copy"), "RECEIVE")
    world.run("R", record_for(world, other, "SHIPPED", kind="copy"), "RECEIVE")
    shown = panel(desk.get("/patrons/P001").get_data(as_text=True))
    assert "ARRIVED" in shown and "hanako@example.jp" in shown and "ichiro@example.jp" not in shown
    assert "/notices/new?patron=P001" in shown and "/notices?patron=P001" in shown
    (notice,) = notices(patron_id=patron.id)
    back = desk.post(f"/notices/{notice.id}/cancel", {"next": "/patrons/P001#patron-notices"})
    assert back.status_code == 302 and back.headers["Location"].endswith("/patrons/P001#patron-notices")
    assert notices(id=notice.id)[0].status == "cancelled"
    shown = panel(desk.get("/patrons/P001").get_data(as_text=True))
    assert "配信取消" in shown or "取消" in shown
    assert f'action="/notices/{notice.id}/cancel"' not in shown


def test_a_patron_without_notices(world, desk):
    make_patron(world, mobile=None)
    shown = panel(desk.get("/patrons/P001").get_data(as_text=True))
    assert "ARRIVED" not in shown and "<table" not in shown


def test_cancel_never_redirects_to_another_site(world, desk):
    patron = make_patron(world, mobile=None)
    world.run("R", record_for(world, patron, "SHIPPED", kind="copy"), "RECEIVE")
    (notice,) = notices(patron_id=patron.id)
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        answer = desk.post(f"/notices/{notice.id}/cancel", {"next": target})
        assert answer.headers["Location"].endswith("/notices"), target


def test_another_library_sees_no_notices_of_the_patron(world, app):
    patron = make_patron(world, mobile=None)
    world.run("R", record_for(world, patron, "SHIPPED", kind="copy"), "RECEIVE")
    other = Desk(app.test_client()).as_user("X")
    assert other.get("/patrons/P001").status_code == 404
    make_patron(world, code="X", number="P001", name="別の 利用者", email="x@example.jp", mobile=None)
    page = other.get("/patrons/P001").get_data(as_text=True)
    assert "別の 利用者" in page and "hanako@example.jp" not in page and "ARRIVED" not in panel(page)
    lender = Desk(app.test_client()).as_user("L1")
    assert lender.get("/patrons/P001").status_code == 404
