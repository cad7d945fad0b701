"""The record page: full page and fragments, commands as inline forms, isolation."""
import re

import pytest

from portal.extensions import db
from portal.models import Record
from portal.services.records import commands_for
from web_helpers import csrf_token


def fresh(record) -> Record:
    db.session.expire_all()
    return db.session.get(Record, record.id)


def command_buttons(html: str) -> list[str]:
    return re.findall(r'href="/records/\d+/commands/([A-Z]+)"', html)


def test_record_page_full_and_fragment(world, desk):
    record = world.record("PROCESSING")
    desk.as_user("R")
    page = desk.get(f"/records/{record.ill_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<html" in html and record.ill_id in html and "日本図書館情報学会誌" in html
    assert "Vary" in page.headers and "HX-Request" in page.headers["Vary"]
    fragment = desk.get(f"/records/{record.ill_id}", htmx=True)
    assert fragment.status_code == 200
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and 'id="record"' in body and record.ill_id in body


@pytest.mark.parametrize("status,code", [("PROCESSING", "R"), ("PROCESSING", "L1"), ("SHIPPED", "R"),
                                         ("ARRIVED", "R"), ("RETURN_PROCESSING", "L1")])
def test_buttons_are_exactly_the_allowed_commands(world, desk, status, code):
    kind = "loan" if status == "RETURN_PROCESSING" else "copy"
    record = world.record(status, kind=kind)
    desk.as_user(code)
    html = desk.get(f"/records/{record.ill_id}").get_data(as_text=True)
    assert command_buttons(html) == commands_for(world.user(code), fresh(record))


def test_history_timeline_shows_every_command(world, desk):
    record = world.record("SHIPPED")
    desk.as_user("R")
    html = desk.get(f"/records/{record.ill_id}").get_data(as_text=True)
    history = html[html.index('id="history-heading"'):]
    for command in ("CREATE", "ORDER", "RECEIVE", "SEND"):
        assert f'<span class="mono">{command}</span>' in history
    assert "user_l1" in history and "Library L1" in history


def test_history_escapes_comments_libraries_and_changes_and_shows_the_portal_time(world, desk):
    """The history is written in Python (web/timeline.py), not by the template: every value is still
    escaped, newest entry first, each time in the portal's time zone (Asia/Tokyo: UTC + 9 h)."""
    from datetime import datetime, timezone

    world.libraries["L1"].name = 'Library "<L1>" & co'
    db.session.commit()
    record = world.record("PROCESSING")
    world.run("L1", record, "SAVE", comment="<script>alert(1)</script>", fields={"lender_number": "<b>A-1</b>"})
    save = fresh(record).history[-1]
    save.at = datetime(2026, 3, 1, 15, 30, tzinfo=timezone.utc)
    db.session.commit()
    desk.as_user("R")
    html = desk.get(f"/records/{record.ill_id}").get_data(as_text=True)
    history = html[html.index('id="history-heading"'):html.index("</aside>")]
    assert "<script>" not in history and "<b>" not in history and '"<L1>"' not in history
    newest = history[history.index("<li"):history.index("\n        </li>")]
    assert '<div class="when">2026-03-02 00:30</div>' in newest and '<span class="mono">SAVE</span>' in newest
    assert '<div class="comment">&lt;script&gt;alert(1)&lt;/script&gt;</div>' in newest
    assert 'title="Library &#34;&lt;L1&gt;&#34; &amp; co">L1</span> · user_l1' in newest
    assert '<span class="to">&lt;b&gt;A-1&lt;/b&gt;</span>' in newest
    assert history.index('<span class="mono">SAVE</span>') < history.index('<span class="mono">CREATE</span>')


def test_history_shows_what_a_command_changed_on_the_page_and_in_the_api(world, desk, client):
    record = world.record("PROCESSING", kind="loan")
    world.run("L1", record, "SEND", fees={"groups": [{"item": "A4", "quantity": 12, "unit_price": "30"}]},
              dates={"sent": "2026-03-02"}, due_date="2026-04-20")
    desk.as_user("R")
    html = desk.get(f"/records/{record.ill_id}").get_data(as_text=True)
    history = html[html.index('id="history-heading"'):]
    changes = history[history.index('<ul class="changes"'):]
    changes = changes[:changes.index("</ul>")]
    assert "2026-04-20" in changes and "合計金額" in changes  # the Japanese UI: labels in Japanese
    assert "A4 12 × 30 = 360" in changes
    headers = {"Authorization": f"Bearer {world.token('R')}"}
    item = client.get(f"/api/v1/records/{record.ill_id}", headers=headers).json
    send = [h for h in item["history"] if h["command"] == "SEND"][-1]
    assert send["changes"]["due_on"] == {"from": None, "to": "2026-04-20"}
    assert all("changes" in h for h in item["history"])


def test_third_library_gets_403_for_page_and_commands(world, desk):
    record = world.record("PROCESSING")
    desk.as_user("X")
    assert desk.get(f"/records/{record.ill_id}").status_code == 403
    assert desk.get(f"/records/{record.ill_id}", htmx=True).status_code == 403
    assert desk.get(f"/records/{record.ill_id}/commands/SEND").status_code == 403
    response = desk.post(f"/records/{record.ill_id}/commands/SEND",
                         {"version": record.version, "base_fee": "0", "postage": "0"})
    assert response.status_code == 403
    assert fresh(record).status == "PROCESSING"


def test_unknown_record_is_404(world, desk):
    desk.as_user("R")
    assert desk.get("/records/1099999999").status_code == 404
    assert desk.get("/records/not-an-id").status_code == 404


def test_command_form_fragment(world, desk):
    record = world.record("PROCESSING")
    desk.as_user("L1")
    response = desk.get(f"/records/{record.ill_id}/commands/PARDON", htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'class="command-form"' in html
    assert f'name="version" value="{record.version}"' in html
    assert 'name="comment"' in html
    assert '<option value="未所蔵">未所蔵</option>' in html  # the library's PARDON templates, its own wording only
    assert "not held" not in html  # the English hint only in the English UI


def template_options(html: str) -> list[str]:
    select = html[html.index('name="template"'):]
    return re.findall(r'<option value="([^"]+)">', select[:select.index("</select>")])


def test_each_side_is_offered_its_own_templates(world, desk, other_desk):
    arrived = world.record("ARRIVED")
    desk.as_user("R")
    claim = template_options(desk.get(f"/records/{arrived.ill_id}/commands/CLAIM", htmx=True).get_data(as_text=True))
    assert "欠落ページがあります" in claim
    assert not {"更新可", "更新不可", "破損していました"} & set(claim)  # the lender's answers are not offered
    inquiry = world.record("INQUIRY")
    answer = desk.get(f"/records/{inquiry.ill_id}/commands/ANSWER", htmx=True).get_data(as_text=True)
    assert "欠落ページを送付しました" not in answer
    renewal = world.record("RETURN_PROCESSING", kind="loan")
    other_desk.as_user("L1")
    lender_claim = template_options(
        other_desk.get(f"/records/{renewal.ill_id}/commands/CLAIM", htmx=True).get_data(as_text=True))
    assert {"更新可", "更新不可"} <= set(lender_claim) and "欠落ページがあります" not in lender_claim


def test_the_english_ui_shows_the_gloss_as_a_hint_but_inserts_the_text(world, desk):
    record = world.record("PROCESSING")
    desk.as_user("L1")
    desk.post("/language", {"language": "en"})
    html = desk.get(f"/records/{record.ill_id}/commands/PARDON", htmx=True).get_data(as_text=True)
    assert '<option value="未所蔵">未所蔵 — not held</option>' in html


def test_send_dates_say_their_defaults_instead_of_being_required(world, desk):
    record = world.record("PROCESSING", kind="loan")
    desk.as_user("L1")
    html = desk.get(f"/records/{record.ill_id}/commands/SEND", htmx=True).get_data(as_text=True)
    for name in ("date_sent", "date_due"):
        field = html[html.rindex('<div class="field', 0, html.index(f'name="{name}"')):]
        field = field[:field.index("</div>")]
        assert "required" not in field
    assert "空欄なら今日" in html and "空欄なら発送日 + 貸出期間（14 日）" in html
    # and an empty field is defaulted as the hint says
    page = desk.get(f"/records/{record.ill_id}/commands/SEND").get_data(as_text=True)
    response = desk.post(f"/records/{record.ill_id}/commands/SEND", [
        ("csrf_token", csrf_token(page)), ("version", str(record.version)), ("date_sent", ""), ("date_due", ""),
        ("fee_editor", "fees"), ("fee_item", "A4"), ("fee_quantity", "1"), ("fee_unit_price", "30")])
    assert response.status_code == 302, response.get_data(as_text=True)
    sent = fresh(record)
    assert sent.status == "SHIPPED" and (sent.due_on - sent.sent_on).days == 14


def test_command_form_full_page_without_javascript(world, desk):
    record = world.record("PROCESSING")
    desk.as_user("L1")
    html = desk.get(f"/records/{record.ill_id}/commands/PARDON").get_data(as_text=True)
    assert "<html" in html and 'class="command-form"' in html


def test_command_not_allowed_now_says_why(world, desk):
    record = world.record("PROCESSING")
    desk.as_user("R")
    response = desk.get(f"/records/{record.ill_id}/commands/OK", htmx=True)
    assert response.status_code == 409
    assert "OK" in response.get_data(as_text=True)


def test_inquire_form_warns_about_incomplete_citations(world, desk):
    record = world.record("PROCESSING")
    desk.as_user("L1")
    html = desk.get(f"/records/{record.ill_id}/commands/INQUIRE", htmx=True).get_data(as_text=True)
    assert "参照不完" in html and "PARDON" in html and 'class="notice"' in html


def test_htmx_command_updates_record_and_counts_in_place(world, desk):
    record = world.record("UNPROCESSED")
    desk.as_user("L1")
    response = desk.post(f"/records/{record.ill_id}/commands/RECEIVE",
                         {"version": record.version, "comment": ""}, htmx=True)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#record"
    assert response.headers["HX-Trigger"] == "records-changed"
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="record"')
    assert 'id="queue-counts"' in html and 'hx-swap-oob="true"' in html
    assert fresh(record).status == "PROCESSING"


def test_command_without_javascript_redirects_with_a_message(world, desk):
    record = world.record("UNPROCESSED")
    desk.as_user("L1")
    response = desk.post(f"/records/{record.ill_id}/commands/RECEIVE", {"version": record.version})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/records/{record.ill_id}"
    html = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "RECEIVE" in html and 'message--success' in html


def test_missing_comment_re_renders_form_with_422_and_inputs(world, desk):
    record = world.record("PROCESSING")
    desk.as_user("L1")
    response = desk.post(f"/records/{record.ill_id}/commands/PARDON",
                         {"version": record.version, "comment": "  "}, htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'class="command-form"' in html
    assert 'aria-invalid="true"' in html and 'id="error-comment"' in html
    assert fresh(record).status == "PROCESSING"


def test_send_validation_error_keeps_the_fee_inputs(world, desk):
    record = world.record("PROCESSING")
    desk.as_user("L1")
    data = [("version", record.version), ("date_sent", "2026-04-01"),
            ("fee_item", "A4"), ("fee_quantity", "3"), ("fee_unit_price", "30"),
            ("fee_item", ""), ("fee_quantity", "2"), ("fee_unit_price", "abc"),
            ("base_fee", "100"), ("postage", "140"), ("comment", "送ります")]
    response = desk.post(f"/records/{record.ill_id}/commands/SEND", data, htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="abc"' in html and 'value="A4"' in html and "送ります" in html
    assert 'id="error-groups-1-unit_price"' in html and 'id="error-groups-1-item"' in html
    assert fresh(record).status == "PROCESSING"


def test_send_with_fee_groups_and_dates(world, desk):
    record = world.record("PROCESSING", kind="loan")
    desk.as_user("L1")
    data = [("version", record.version), ("date_sent", "2026-04-01"), ("date_due", "2026-04-20"),
            ("fee_item", "A4"), ("fee_quantity", "10"), ("fee_unit_price", "30"),
            ("fee_item", "B4"), ("fee_quantity", "2"), ("fee_unit_price", "50"),
            ("fee_item", ""), ("fee_quantity", ""), ("fee_unit_price", ""),  # a blank row is no group
            ("base_fee", "100"), ("postage", "140"), ("comment", "")]
    response = desk.post(f"/records/{record.ill_id}/commands/SEND", data, htmx=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    record = fresh(record)
    assert record.status == "SHIPPED" and str(record.total) in ("640", "640.00")
    assert [g.item for g in record.fee_groups] == ["A4", "B4"]
    assert record.sent_on.isoformat() == "2026-04-01" and record.due_on.isoformat() == "2026-04-20"


def test_send_form_is_prefilled(world, desk):
    from datetime import timedelta

    from portal.services import portal_today
    from portal.services.settings import save_fee_default
    record = world.record("PROCESSING", kind="loan")
    save_fee_default(world.libraries["L1"], "loan", [{"item": "Book", "quantity": 1, "unit_price": "0"}], "0", "520")
    desk.as_user("L1")
    html = desk.get(f"/records/{record.ill_id}/commands/SEND", htmx=True).get_data(as_text=True)
    today = portal_today()
    assert f'name="date_sent" type="date" value="{today.isoformat()}"' in html
    assert f'value="{(today + timedelta(days=14)).isoformat()}"' in html  # L1 lends for 14 days
    assert 'value="Book"' in html and 'value="520"' in html
    assert "520" in html[html.index('id="fees-total"'):][:200]


def test_fee_action_adds_and_removes_rows(world, desk):
    record = world.record("PROCESSING")
    desk.as_user("L1")
    base = [("version", record.version), ("fee_item", "A4"), ("fee_quantity", "1"), ("fee_unit_price", "10"),
            ("base_fee", ""), ("postage", "")]
    html = desk.post(f"/records/{record.ill_id}/commands/SEND", base + [("fee_action", "add")],
                     htmx=True).get_data(as_text=True)
    assert html.count('name="fee_item"') == 2 and 'id="fees-item-1"' in html
    html = desk.post(f"/records/{record.ill_id}/commands/SEND", base + [("fee_action", "remove-0")],
                     htmx=True).get_data(as_text=True)
    assert html.count('name="fee_item"') == 1 and 'id="fees-item-0" name="fee_item" type="text" value=""' in html
    assert fresh(record).status == "PROCESSING"  # neither ran the command


def test_fee_preview_computes_on_the_server(world, desk):
    desk.as_user("L1")
    data = [("fee_editor", "fees"), ("fee_item", "A4"), ("fee_quantity", "12"), ("fee_unit_price", "30"),
            ("fee_item", "B4"), ("fee_quantity", "3"), ("fee_unit_price", "45"), ("base_fee", "100"),
            ("postage", "140")]
    response = desk.post("/fees/preview", data, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="fees-total"' in html and "735" in html  # 360 + 135 + 100 + 140
    assert 'id="fees-charge-0" class="num" hx-swap-oob="true">' in html and "360" in html
    bad = desk.post("/fees/preview", [("fee_quantity", "x")], htmx=True).get_data(as_text=True)
    assert "—" in bad and "field-error" in bad


@pytest.mark.parametrize("name, typed", [("fee_unit_price", "1e3"), ("fee_quantity", "1,2,3"),
                                          ("postage", "1,00"), ("base_fee", "1_000")])
def test_live_total_and_send_refuse_malformed_numbers_naming_the_field(world, desk, name, typed):
    record = world.record("PROCESSING")
    desk.as_user("L1")
    inputs = {"fee_item": "A4", "fee_quantity": "2", "fee_unit_price": "30", "base_fee": "", "postage": ""}
    inputs[name] = typed
    label = {"fee_unit_price": "単価", "fee_quantity": "数量", "postage": "送料・FAX料", "base_fee": "基本料・その他"}[name]
    preview = desk.post("/fees/preview", [("fee_editor", "fees"), *inputs.items()], htmx=True).get_data(as_text=True)
    assert "—" in preview and label in preview[preview.index('class="field-error"'):]
    page = desk.get(f"/records/{record.ill_id}/commands/SEND").get_data(as_text=True)
    data = [("csrf_token", csrf_token(page)), ("version", str(record.version)), ("fee_editor", "fees"),
            *inputs.items()]
    response = desk.post(f"/records/{record.ill_id}/commands/SEND", data, htmx=True)
    assert response.status_code == 422
    assert typed in response.get_data(as_text=True)  # the input is kept
    assert fresh(record).status == "PROCESSING" and fresh(record).total is None


def test_stale_form_gets_the_conflict_message_and_current_status(world, desk, other_desk):
    record = world.record("PROCESSING")
    desk.as_user("L1")
    stale_version = record.version
    world.run("L1", record, "INQUIRE", comment="巻号をご確認ください")
    response = desk.post(f"/records/{record.ill_id}/commands/PARDON",
                         {"version": stale_version, "comment": "未所蔵"}, htmx=True)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert fresh(record).status == "NEW_INQUIRY"
    # the whole record as it is now replaces the stale one: the message above it, the new badge,
    # the commands of the new status, the new history; not only the form
    assert response.headers["HX-Retarget"] == "#record" and response.headers["HX-Reswap"] == "outerHTML"
    assert html.lstrip().startswith('<div id="record"')
    assert html.index('class="message message--error conflict"') < html.index('class="record-head"')
    assert "badge--NEW_INQUIRY" in html and "badge--PROCESSING" not in html
    assert "/commands/PARDON" not in html  # PARDON is not offered in NEW_INQUIRY
    assert "巻号をご確認ください" in html
    assert 'class="command-form"' not in html


def test_stale_form_without_javascript_gets_the_whole_page_as_it_is_now(world, desk):
    record = world.record("PROCESSING")
    desk.as_user("L1")
    stale_version = record.version
    world.run("L1", record, "INQUIRE", comment="巻号をご確認ください")
    response = desk.post(f"/records/{record.ill_id}/commands/PARDON", {"version": stale_version, "comment": "未所蔵"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "<html" in html and "badge--NEW_INQUIRY" in html and "conflict" in html


def test_stale_command_link_shows_the_record_as_it_is_now(world, desk):
    record = world.record("PROCESSING")
    desk.as_user("R")
    response = desk.get(f"/records/{record.ill_id}/commands/OK", htmx=True)
    assert response.status_code == 409 and response.headers["HX-Retarget"] == "#record"
    html = response.get_data(as_text=True)
    assert "conflict" in html and "OK" in html and "badge--PROCESSING" in html


def test_comment_is_escaped(world, desk):
    record = world.record("PROCESSING")
    desk.as_user("L1")
    response = desk.post(f"/records/{record.ill_id}/commands/INQUIRE",
                         {"version": record.version, "comment": "<script>alert(1)</script>"})
    assert response.status_code == 302
    html = desk.get(f"/records/{record.ill_id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_comment_template_chosen_without_javascript_goes_first(world, desk):
    record = world.record("PROCESSING")
    desk.as_user("L1")
    desk.post(f"/records/{record.ill_id}/commands/PARDON",
              {"version": record.version, "template": "未所蔵", "comment": "別の館へどうぞ"})
    assert fresh(record).history[-2 if fresh(record).history[-1].command == "SYSTEM" else -1].comment \
            == "未所蔵\n別の館へどうぞ"


def test_save_edits_fields_and_private_local_note(world, desk, other_desk):
    record = world.record("PROCESSING")
    desk.as_user("L1")
    html = desk.get(f"/records/{record.ill_id}/commands/SAVE", htmx=True).get_data(as_text=True)
    assert 'name="field_lender_number"' in html and 'name="field_title"' not in html
    response = desk.post(f"/records/{record.ill_id}/commands/SAVE", {
        "version": record.version, "field_lender_number": "A-123", "field_lender_staff": "受付 花子",
        "field_lender_address": "仙台", "local_note": "書庫3層にあり"})
    assert response.status_code == 302
    record = fresh(record)
    assert record.lender_number == "A-123" and record.local_note_for(world.libraries["L1"].id) == "書庫3層にあり"
    assert "書庫3層にあり" in desk.get(f"/records/{record.ill_id}").get_data(as_text=True)
    other_desk.as_user("R")
    assert "書庫3層にあり" not in other_desk.get(f"/records/{record.ill_id}").get_data(as_text=True)


def test_requester_save_edits_citation_and_candidates(world, desk):
    record = world.record("PREPARING")
    desk.as_user("R")
    html = desk.get(f"/records/{record.ill_id}/commands/SAVE", htmx=True).get_data(as_text=True)
    assert 'name="field_title"' in html and 'name="candidate_library"' in html
    data = [("version", record.version), ("field_title", "新しい書名"), ("local_note", ""),
            ("candidate_library", "L2"), ("candidate_location", "本館"), ("candidate_volume", ""),
            ("candidate_call_number", ""), ("candidate_library", "L3"), ("candidate_location", ""),
            ("candidate_volume", ""), ("candidate_call_number", "")]
    response = desk.post(f"/records/{record.ill_id}/commands/SAVE", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    record = fresh(record)
    assert record.title == "新しい書名"
    assert [c.library.code for c in record.candidates] == ["L2", "L3"]


def test_lender_claim_sets_a_new_due_date(world, desk):
    record = world.record("RENEWAL_REQUESTED", kind="loan")
    world.run("L1", record, "RECEIVE")
    desk.as_user("L1")
    html = desk.get(f"/records/{record.ill_id}/commands/CLAIM", htmx=True).get_data(as_text=True)
    assert 'name="date_due"' in html
    response = desk.post(f"/records/{record.ill_id}/commands/CLAIM", {
        "version": fresh(record).version, "comment": "更新可 (renewal granted)", "date_due": "2030-01-31"})
    assert response.status_code == 302
    record = fresh(record)
    assert record.status == "RETURN_CLAIM" and record.due_on.isoformat() == "2030-01-31"


def test_declined_lender_reads_but_has_no_commands(world, desk):
    record = world.record("PROCESSING")
    world.run("L1", record, "PARDON", comment="未所蔵")
    desk.as_user("L1")
    response = desk.get(f"/records/{record.ill_id}")
    assert response.status_code == 200
    assert command_buttons(response.get_data(as_text=True)) == []
    assert desk.post(f"/records/{record.ill_id}/commands/SAVE", {"version": "1"}).status_code == 403


def test_csrf_refused_without_token(world, desk):
    record = world.record("UNPROCESSED")
    desk.as_user("L1")
    response = desk.post(f"/records/{record.ill_id}/commands/RECEIVE", {"version": record.version}, csrf=False)
    assert response.status_code == 400
    response = desk.post(f"/records/{record.ill_id}/commands/RECEIVE", {"version": record.version},
                         csrf=False, htmx=True)
    assert response.status_code == 400
    assert fresh(record).status == "UNPROCESSED"
    # htmx sends the token in a header (hx-headers on <body>) instead of a form field
    response = desk.post(f"/records/{record.ill_id}/commands/RECEIVE", {"version": record.version},
                         csrf=False, htmx=True, headers={"X-CSRFToken": desk.token})
    assert response.status_code == 200
    assert fresh(record).status == "PROCESSING"


def test_body_carries_csrf_header_for_htmx(world, desk):
    desk.as_user("R")
    html = desk.get("/").get_data(as_text=True)
    assert f'hx-headers=\'{{"X-CSRFToken": "{csrf_token(html)}"}}\'' in html


def test_inquire_sends_fees_only_when_asked(world, desk):
    record = world.record("PROCESSING")
    desk.as_user("L1")
    html = desk.get(f"/records/{record.ill_id}/commands/INQUIRE", htmx=True).get_data(as_text=True)
    assert 'name="include_fees"' in html and 'name="fees_optional"' in html
    fees = [("fee_item", "A4"), ("fee_quantity", "10"), ("fee_unit_price", "30"), ("base_fee", ""), ("postage", "")]
    desk.post(f"/records/{record.ill_id}/commands/INQUIRE",
              [("version", record.version), ("comment", "料金前納"), ("fees_optional", "1")] + fees)
    assert fresh(record).status == "NEW_INQUIRY" and fresh(record).total is None
    record = world.record("PROCESSING")
    desk.post(f"/records/{record.ill_id}/commands/INQUIRE",
              [("version", record.version), ("comment", "料金前納"), ("fees_optional", "1"),
               ("include_fees", "1")] + fees)
    assert int(fresh(record).total) == 300


def test_fee_preview_keeps_subtotals_of_valid_rows(world, desk):
    desk.as_user("L1")
    data = [("fee_item", "A4"), ("fee_quantity", "12"), ("fee_unit_price", "30"),
            ("fee_item", "B4"), ("fee_quantity", "x"), ("fee_unit_price", "45")]
    html = desk.post("/fees/preview", data, htmx=True).get_data(as_text=True)
    assert "360" in html[html.index('id="fees-charge-0"'):][:120]
    assert "—" in html[html.index('id="fees-total"'):][:200]


@pytest.mark.parametrize("status,kind,code,slips", [
    ("PROCESSING", "copy", "L1", ["receipt", "shipping"]),
    ("ON_LOAN", "loan", "R", ["return"]),
    ("ARRIVED", "copy", "R", []),
])
def test_record_page_links_the_slips_its_side_prints(world, desk, status, kind, code, slips):
    record = world.record(status, kind=kind)
    desk.as_user(code)
    html = desk.get(f"/records/{record.ill_id}").get_data(as_text=True)
    assert re.findall(rf"/records/{record.ill_id}/slips/(\w+)\.pdf", html) == slips
    for kind_ in slips:
        pdf = desk.get(f"/records/{record.ill_id}/slips/{kind_}.pdf")
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    page = desk.get(f"/records/{record.ill_id}").get_data(as_text=True)
    assert page.count("最終印刷") + page.count("last printed") == len(slips)  # each says when it was printed


def test_lender_save_offers_the_fee_editor_and_stores_fees_when_asked(world, desk):
    from portal.services.settings import save_fee_default
    record = world.record("PROCESSING")
    save_fee_default(world.libraries["L1"], "copy", [{"item": "A4", "quantity": 1, "unit_price": "25"}], "0", "84")
    desk.as_user("L1")
    html = desk.get(f"/records/{record.ill_id}/commands/SAVE", htmx=True).get_data(as_text=True)
    assert 'id="fees-editor"' in html and 'value="25"' in html and 'value="84"' in html  # the library's defaults
    assert 'name="include_fees" value="1">' in html  # not ticked: the record has no fees yet
    fees = [("fee_item", "A4"), ("fee_quantity", "12"), ("fee_unit_price", "25"), ("base_fee", "0"),
            ("postage", "84")]
    # Saving a note alone leaves the record without fees.
    response = desk.post(f"/records/{record.ill_id}/commands/SAVE",
                         [("version", record.version), ("local_note", "棚確認中"), ("fees_optional", "1")] + fees)
    assert response.status_code == 302 and fresh(record).total is None
    response = desk.post(f"/records/{record.ill_id}/commands/SAVE",
                         [("version", fresh(record).version), ("local_note", ""), ("fees_optional", "1"),
                          ("include_fees", "1")] + fees)
    assert response.status_code == 302, response.get_data(as_text=True)
    record = fresh(record)
    assert record.status == "PROCESSING" and int(record.total) == 384
    # Next time the form starts from the record's fees, ticked.
    html = desk.get(f"/records/{record.ill_id}/commands/SAVE", htmx=True).get_data(as_text=True)
    assert 'value="12"' in html and 'name="include_fees" value="1" checked' in html
    bad = [("version", record.version), ("fees_optional", "1"), ("include_fees", "1"), ("fee_item", "A4"),
           ("fee_quantity", "x"), ("fee_unit_price", "25"), ("base_fee", ""), ("postage", "")]
    response = desk.post(f"/records/{record.ill_id}/commands/SAVE", bad, htmx=True)
    assert response.status_code == 422 and 'value="x"' in response.get_data(as_text=True)
    assert int(fresh(record).total) == 384


def test_requester_save_has_no_fee_editor(world, desk):
    record = world.record("PREPARING")
    desk.as_user("R")
    html = desk.get(f"/records/{record.ill_id}/commands/SAVE", htmx=True).get_data(as_text=True)
    assert 'name="fee_item"' not in html and 'name="include_fees"' not in html
    response = desk.post(f"/records/{record.ill_id}/commands/SAVE",
                         [("version", record.version), ("local_note", ""), ("fees_optional", "1"),
                          ("include_fees", "1"), ("fee_item", "A4"), ("fee_quantity", "1"), ("fee_unit_price", "9"),
                          ("candidate_library", "L1"), ("candidate_location", ""), ("candidate_volume", ""),
                          ("candidate_call_number", "")])
    assert response.status_code == 302 and fresh(record).total is None
