"""/records/new: save in preparation or order now; errors keep every input (422)."""
from portal.extensions import db
from portal.models import Record

CITATION = {"kind": "copy", "title": "図書館界", "article": "ILLの将来", "volume": "70(2)", "pages": "10-20",
            "year": "2018", "client_name": "山田 太郎", "client_type": "教員", "account_type": "公費",
            "copy_type": "電子複写", "send_via": "郵送", "requester_number": "R-2026-001"}


def candidates(*codes):
    rows = []
    for index in range(5):
        code = codes[index] if index < len(codes) else ""
        rows += [("candidate_library", code), ("candidate_location", "本館" if code else ""),
                 ("candidate_volume", ""), ("candidate_call_number", "")]
    return rows


def latest_record() -> Record:
    db.session.expire_all()
    return db.session.scalars(db.select(Record).order_by(Record.id.desc())).first()


def test_form_full_page_and_fragment(world, desk):
    desk.as_user("R")
    page = desk.get("/records/new")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert html.count('name="candidate_library"') == 5
    assert "L1 Library L1" in html and "R Library R" not in html  # not itself
    fragment = desk.get("/records/new", htmx=True).get_data(as_text=True)
    assert "<html" not in fragment and 'id="new-request"' in fragment


def test_form_shows_which_libraries_offer_the_service(world, desk):
    from portal.services.admin import update_library
    update_library(world.libraries["L2"], loan_service=False)
    update_library(world.libraries["L3"], service=False)
    desk.as_user("R")
    html = desk.get("/records/new").get_data(as_text=True)
    l2 = html[html.index('value="L2"'):][:300]
    assert "✓" in l2 and "✗" in l2
    assert "service suspended" in html[html.index('value="L3"'):][:300] or \
        "サービス停止中" in html[html.index('value="L3"'):][:300]


def test_save_makes_a_preparing_record(world, desk):
    desk.as_user("R")
    response = desk.post("/records/new", list(CITATION.items()) + candidates("L1", "L2") + [("action", "save")])
    assert response.status_code == 302
    record = latest_record()
    assert response.headers["Location"] == f"/records/{record.ill_id}"
    assert record.status == "PREPARING" and record.title == "図書館界"
    assert record.client_name == "山田 太郎" and record.account_type == "公費"
    assert [c.library.code for c in record.candidates] == ["L1", "L2"]


def test_order_now(world, desk):
    desk.as_user("R")
    response = desk.post("/records/new", list(CITATION.items()) + candidates("", "L2") + [("action", "order")])
    assert response.status_code == 302
    record = latest_record()
    assert record.status == "UNPROCESSED" and record.lender.code == "L2"


def test_htmx_success_redirects_the_browser(world, desk):
    desk.as_user("R")
    response = desk.post("/records/new", list(CITATION.items()) + candidates("L1") + [("action", "save")], htmx=True)
    assert response.headers["HX-Redirect"] == f"/records/{latest_record().ill_id}"


def test_errors_keep_every_input(world, desk):
    desk.as_user("R")
    before = latest_record()
    response = desk.post("/records/new", list(CITATION.items()) + candidates("L1", "L1", "R") + [("action", "order")],
                         htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<html" not in html
    for value in ("図書館界", "ILLの将来", "山田 太郎", "R-2026-001"):
        assert f'value="{value}"' in html
    assert 'id="error-candidates-1-library"' in html and 'id="error-candidates-2-library"' in html
    assert '<option value="L1" selected>' in html.replace("\n", "") or 'value="L1" selected' in html
    assert latest_record() == before


def test_no_candidate_and_no_kind(world, desk):
    desk.as_user("R")
    response = desk.post("/records/new", [("title", "書名だけ")] + candidates() + [("action", "save")])
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<html" in html and 'id="error-kind"' in html
    assert 'id="error-candidates"' not in html  # a draft needs no lender
    assert 'value="書名だけ"' in html


def test_a_draft_is_saved_with_only_a_citation(world, desk):
    desk.as_user("R")
    response = desk.post("/records/new", [("kind", "copy"), ("title", "書名だけ")] + candidates() + [("action", "save")])
    assert response.status_code == 302, response.get_data(as_text=True)
    record = latest_record()
    assert (record.status, record.title, record.candidates, record.network) == ("PREPARING", "書名だけ", [], "NII")
    page = desk.get(f"/records/{record.ill_id}").get_data(as_text=True)
    assert "/commands/ORDER" not in page  # not offered until a candidate is added
    response = desk.post(f"/records/{record.ill_id}/commands/ORDER", {"version": record.version})
    assert response.status_code in (302, 409, 422)
    assert latest_record().status == "PREPARING"


def test_ordering_at_once_without_a_candidate_names_the_field(world, desk):
    desk.as_user("R")
    before = latest_record()
    response = desk.post("/records/new", [("kind", "copy"), ("title", "書名")] + candidates() + [("action", "order")])
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="error-candidates"' in html and "依頼先候補" in html
    assert latest_record() == before


def test_a_draft_needs_a_citation(world, desk):
    desk.as_user("R")
    before = latest_record()
    response = desk.post("/records/new", [("kind", "copy")] + candidates("L1") + [("action", "save")])
    assert response.status_code == 422 and 'id="error-title"' in response.get_data(as_text=True)
    assert latest_record() == before


def test_order_without_title_is_refused_and_nothing_is_stored(world, desk):
    desk.as_user("R")
    before = latest_record()
    response = desk.post("/records/new", [("kind", "copy")] + candidates("L1") + [("action", "order")])
    assert response.status_code == 422
    assert 'id="error-title"' in response.get_data(as_text=True)
    assert latest_record() == before
