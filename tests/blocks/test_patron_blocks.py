"""Blocks on patrons: every blocked action against the commands it stops, every
overridable value against every role, the override in the history, overdue
blocks and demerits on a late return, the daily job."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from blocks_helpers import block, loan_on_loan, reload, rows, set_definition, set_policy, today
from portal.extensions import db
from portal.models import BlockJobReport, DemeritPoints
from portal.services import blocks
from portal.services.admin import add_user
from portal.services.patrons import create_patron, patron_as_dict
from portal.workflow.errors import Blocked

PASSWORD = "secret-pass-1"


@pytest.fixture
def patron(world):
    return create_patron(world.user("R"), {"number": "P001", "name": "山田 花子", "group": "graduate"})


def with_patron(record, patron):
    record.patron_id = patron.id
    db.session.commit()
    return record


def at(world, command, patron):
    """A record of R's patron where `command` is the next step, and that command's input."""
    if command == "ORDER":
        return with_patron(world.record("PREPARING", kind="loan", candidates=("L1",)), patron), {}
    if command == "BORROW":
        return with_patron(world.record("ARRIVED", kind="loan", candidates=("L1",)), patron), {}
    return with_patron(world.record("ON_LOAN", kind="loan", candidates=("L1",)), patron), {"comment": "更新希望"}


STOPS = {"01": {"BORROW"}, "02": {"BORROW", "RENEW"}, "03": {"BORROW", "RENEW", "ORDER"}}


@pytest.mark.parametrize("action", ["01", "02", "03"])
@pytest.mark.parametrize("command", ["ORDER", "BORROW", "RENEW"])
def test_every_blocked_action_against_every_command_it_may_stop(world, patron, action, command):
    set_definition(world, "SUSPENDED", "R", blocked_action=action)
    record, data = at(world, command, patron)
    before = record.status
    block(world, "R", patron="P001", note="罰金未納")
    if command in STOPS[action]:
        with pytest.raises(Blocked) as refused:
            world.run("R", record, command, **data)
        assert "山田 花子 (P001) is blocked (User is suspended)" in refused.value.message
        assert "罰金未納" in refused.value.message
        assert reload(record).status == before
    else:
        assert world.run("R", record, command, **data).status != before


def test_the_message_says_until_when(world, patron):
    record, _ = at(world, "BORROW", patron)
    until = today() + timedelta(days=9)
    block(world, "R", patron="P001", expires=until.isoformat())
    with pytest.raises(Blocked) as refused:
        world.run("R", record, "BORROW")
    assert f"until {until.isoformat()}" in refused.value.message
    assert refused.value.view.as_dict()["expires"] == until.isoformat()


def test_returns_and_cancellations_of_a_blocked_patron_go_through(world, patron):
    on_loan, _ = at(world, "RENEW", patron)
    prep, _ = at(world, "ORDER", patron)
    block(world, "R", patron="P001")
    assert world.run("R", on_loan, "SENDBACK").status == "RETURNED"
    assert world.run("R", prep, "CANCEL").status == "CANCELLED"


def test_another_librarys_patron_block_does_not_apply(world, patron):
    """Blocks are per library: only the patron's own library's rows count."""
    record, _ = at(world, "BORROW", patron)
    other = create_patron(world.user("X"), {"number": "P001", "name": "別人"})
    blocks.create_block(world.user("X"), {"patron": other.number, "definition": "SUSPENDED"})
    assert world.run("R", record, "BORROW").status == "ON_LOAN"


OVERRIDE = {
    ("none", "staff"): False, ("none", "manager"): False, ("none", "admin"): False,
    ("managers", "staff"): False, ("managers", "manager"): True, ("managers", "admin"): True,
    ("all", "staff"): True, ("all", "manager"): True, ("all", "admin"): True,
}


@pytest.mark.parametrize("overridable, role", sorted(OVERRIDE))
def test_every_overridable_value_against_every_role(world, patron, overridable, role):
    set_definition(world, "SUSPENDED", "R", overridable=overridable)
    user = add_user(f"{role}_r2", "R", PASSWORD, role)
    record, _ = at(world, "BORROW", patron)
    made = block(world, "R", patron="P001")
    from portal.services.records import perform_command
    with pytest.raises(Blocked) as refused:  # no reason: always refused, saying whether an override is possible
        perform_command(user, record.ill_id, "BORROW", {})
    assert refused.value.overridable is OVERRIDE[(overridable, role)]
    if OVERRIDE[(overridable, role)]:
        done = perform_command(user, record.ill_id, "BORROW", {"override": {"reason": "試験期間のため"}})
        assert done.status == "ON_LOAN"
        [note] = [h for h in reload(record).history if h.command == "SYSTEM"]
        assert note.user_name == user.username and note.user_id == user.id
        assert "試験期間のため" in note.comment and f"#{made.id}" in note.comment and "SUSPENDED" in note.comment
    else:
        with pytest.raises(Blocked):
            perform_command(user, record.ill_id, "BORROW", {"override": {"reason": "試験期間のため"}})
        assert reload(record).status == "ARRIVED"


def test_an_override_must_cover_every_block(world, patron):
    set_definition(world, "DISRUPTIVE", "R", overridable="all", blocked_action="03")
    block(world, "R", patron="P001", definition="DISRUPTIVE")
    block(world, "R", patron="P001", definition="DEMERIT")  # none: nobody overrides
    record, _ = at(world, "BORROW", patron)
    with pytest.raises(Blocked) as refused:
        world.run("R", record, "BORROW", override={"reason": "x"})
    assert not refused.value.overridable


def test_patron_shape_blocked_and_blocks(world, patron):
    assert patron_as_dict(patron)["blocked"] is False
    made = block(world, "R", patron="P001", note="延滞")
    shape = patron_as_dict(patron)
    assert shape["blocked"] is True
    [item] = shape["blocks"]
    assert item["id"] == made.id and item["definition"] == "SUSPENDED" and item["active"] is True
    assert item["subject"] == {"patron": "P001"} and item["actions"] == ["BORROW", "ORDER", "RENEW"]
    blocks.lift_block(world.user("R"), made.id, "paid")
    assert patron_as_dict(patron)["blocked"] is False and patron_as_dict(patron)["blocks"][0]["active"] is False


# -- late returns ---------------------------------------------------------------------------

def test_the_patrons_return_date_gives_the_overdue_block(world, patron):
    set_policy(world, "R", overdue={"unit": "days_per_overdue_day", "value": 1})
    record = loan_on_loan(world, due_days_ago=6, patron=patron)
    returned = today() - timedelta(days=2)  # the patron returned it 4 days late, sent back today
    record = world.run("R", record, "SENDBACK", dates={"patron_returned": returned.isoformat()})
    assert reload(record).patron_returned_on == returned and reload(record).sent_back_on == today()
    [made] = rows(origin="overdue")
    assert made.patron_id == patron.id and made.library_id == world.libraries["R"].id
    assert made.expires == today() + timedelta(days=4)
    assert blocks.is_blocked(world.libraries["R"].id, patron_id=patron.id)


def test_the_patrons_return_defaults_to_bdate_and_cannot_follow_it(world, patron):
    from portal.workflow.errors import ValidationError
    set_policy(world, "R", overdue={"unit": "all_days", "value": 7})
    record = loan_on_loan(world, due_days_ago=3, patron=patron)
    with pytest.raises(ValidationError) as refused:
        world.run("R", record, "SENDBACK", dates={"patron_returned": (today() + timedelta(days=1)).isoformat()})
    assert "dates.patron_returned" in refused.value.fields
    world.run("R", record, "SENDBACK")
    assert reload(record).patron_returned_on == today()
    assert [b.expires for b in rows(origin="overdue")] == [today() + timedelta(days=7)]


def test_a_due_date_moved_past_the_return_lifts_the_overdue_blocks(world, patron):
    set_policy(world, "R", overdue={"unit": "all_days", "value": 7})
    set_policy(world, "L1", overdue={"unit": "all_days", "value": 7})
    record = loan_on_loan(world, due_days_ago=3, patron=patron)
    record = world.run("L1", world.run("R", record, "SENDBACK"), "RECEIVE")
    assert len([b for b in rows(origin="overdue") if b.lifted_at is None]) == 2  # the patron's and R's
    world.run("L1", record, "CLAIM", comment="更新可 (renewal granted)",
              dates={"due": (today() + timedelta(days=7)).isoformat()})
    assert all(b.lifted_at is not None for b in rows(origin="overdue"))
    assert not blocks.is_blocked(world.libraries["R"].id, patron_id=patron.id)


def test_a_callback_of_the_sendback_lifts_the_patrons_overdue_block(world, patron):
    set_policy(world, "R", overdue={"unit": "all_days", "value": 7})
    record = loan_on_loan(world, due_days_ago=3, patron=patron)
    world.run("R", world.run("R", record, "SENDBACK"), "CALLBACK")
    [made] = rows(origin="overdue")
    assert made.lifted_at is not None and reload(record).patron_returned_on is None


def demerits(world, library="R", threshold=2, suspension_days=10, points=None):
    set_policy(world, library, demerits={
        "enabled": True, "history_days": 90, "threshold": threshold, "suspension_days": suspension_days,
        "points": points if points is not None else [
            {"group": "graduate", "kind": "all", "regular": 1, "recalled": 2},
            {"group": "all", "kind": "loan", "regular": 3, "recalled": 6}]})


def late_return(world, patron, days=2):
    record = loan_on_loan(world, due_days_ago=days, patron=patron)
    return world.run("R", record, "SENDBACK")


def test_demerit_points_follow_the_precedence(world, patron):
    demerits(world, threshold=100)
    late_return(world, patron)
    undergrad = create_patron(world.user("R"), {"number": "P002", "name": "佐藤", "group": "undergraduate"})
    late_return(world, undergrad)
    nobody = create_patron(world.user("R"), {"number": "P003", "name": "鈴木", "group": "faculty"})
    demerits(world, threshold=100, points=[{"group": "graduate", "kind": "copy", "regular": 9, "recalled": 9}])
    late_return(world, nobody)
    given = {p.patron_id: p.points for p in db.session.scalars(select(DemeritPoints))}
    assert given == {patron.id: 1, undergrad.id: 3}  # graduate+all beats all+loan; no row: no points


def test_a_recalled_loan_gives_the_recalled_points(world, patron):
    demerits(world, threshold=100)
    record = loan_on_loan(world, due_days_ago=-10, patron=patron)  # due in 10 days ...
    record = world.run("R", record, "RENEW", comment="更新希望")
    record = world.run("L1", record, "RECEIVE")
    record = world.run("L1", record, "CLAIM", comment="更新不可: 返却してください",
                       dates={"due": (today() - timedelta(days=1)).isoformat()})  # ... recalled: due yesterday
    record = world.run("R", record, "RECEIVE")
    world.run("R", record, "SENDBACK")
    [points] = db.session.scalars(select(DemeritPoints))
    assert points.points == 2


def test_past_the_threshold_a_demerit_block_spends_the_points(world, patron):
    demerits(world, threshold=2, suspension_days=10)
    late_return(world, patron)
    late_return(world, patron)
    assert rows(origin="demerit") == []  # 2 points: not more than 2
    late_return(world, patron)
    [suspension] = rows(origin="demerit")
    assert suspension.starts == today() and suspension.expires == today() + timedelta(days=10)
    spent = [p.spent_by_id for p in db.session.scalars(select(DemeritPoints).order_by(DemeritPoints.id))]
    assert spent == [suspension.id] * 3
    # points earned during the suspension: no second block now ...
    late_return(world, patron)
    late_return(world, patron)
    late_return(world, patron)
    assert len(rows(origin="demerit")) == 1
    # ... the daily job at its end applies the next one (and says so), once
    end = suspension.expires
    assert any("expired" in line for line in blocks.daily_step(end).lines)
    following = [b for b in rows(origin="demerit") if b.id != suspension.id]
    assert len(following) == 1 and following[0].starts == end and following[0].expires == end + timedelta(days=10)
    assert blocks.daily_step(end).lines == []  # safe to run twice
    reports = db.session.scalars(select(BlockJobReport).order_by(BlockJobReport.id))
    assert [(r.block_id, r.action) for r in reports] == [(suspension.id, "expired"), (following[0].id, "applied")]


def test_the_daily_job_lets_a_suspension_end_below_the_threshold(world, patron):
    demerits(world, threshold=2, suspension_days=10)
    for _ in range(3):
        late_return(world, patron)
    [suspension] = rows(origin="demerit")
    blocks.daily_step(suspension.expires).lines
    assert len(rows(origin="demerit")) == 1
    assert not blocks.is_blocked(world.libraries["R"].id, patron_id=patron.id, today=suspension.expires)
    assert [r.action for r in blocks.job_report(world.libraries["R"].id)] == ["expired"]
    assert blocks.job_report(world.libraries["L1"].id) == []


def test_the_daily_command_runs_the_block_step_and_is_safe_twice(world, patron, runner):
    demerits(world, threshold=2, suspension_days=10)
    for _ in range(3):
        late_return(world, patron)
    [suspension] = rows(origin="demerit")
    day = suspension.expires.isoformat()
    first = runner.invoke(args=["daily", "--date", day])
    assert first.exit_code == 0, first.output
    assert f"{day} blocks: ok: 1 block(s) ended, 0 DEMERIT block(s) applied" in first.output
    second = runner.invoke(args=["daily", "--date", day])
    assert "0 block(s) ended, 0 DEMERIT block(s) applied" in second.output
    assert len(db.session.scalars(select(BlockJobReport)).all()) == 1
    bad = runner.invoke(args=["daily", "--date", "tomorrow"])
    assert bad.exit_code != 0 and "--date must be a date" in bad.output
