"""Patron pages (full page and htmx fragment), the new-request patron picker,
tenant isolation on every page, and the lender never seeing the patron."""
from __future__ import annotations

import io
import re
import subprocess
import shutil

import pytest

from portal.extensions import db
from portal.models import Patron, PatronConsent, Record
from portal.services.patrons import create_patron, find_patron
from portal.services.records import create_record, perform_command

SECRETS = ("CARD-7781", "hanako.secret@example.jp", "+819012345678", "090-1234-5678")


@pytest.fixture
def hanako(world):
    return create_patron(world.user("R"), {"number": "CARD-7781", "name": "山田 花子", "group": "graduate",
                                           "email": "hanako.secret@example.jp", "mobile": "090-1234-5678",
                                           "sms_consent": {"method": "counter"}})


def patron(world, number, code="R"):
    db.session.expire_all()
    return find_patron(world.libraries[code].id, number)


# -- list and search ----------------------------------------------------------------

def test_list_full_page_and_fragment_with_search(world, desk, hanako):
    create_patron(world.user("R"), {"number": "P2", "name": "John Smith", "language": "en"})
    create_patron(world.user("L1"), {"number": "L1-1", "name": "山田 太郎 (another library)"})
    desk.as_user("R")
    page = desk.get("/patrons")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert "CARD-7781" in html and "John Smith" in html and "another library" not in html
    assert 'href="/patrons"' in html  # the nav link
    fragment = desk.get("/patrons?q=山田", htmx=True, headers={"HX-Trigger": "patron-q"})
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in text and 'id="patron-results"' in text
    assert "山田 花子" in text and "John Smith" not in text and "another library" not in text
    assert "HX-Request" in fragment.headers["Vary"]


def test_exact_card_number_and_enter_opens_the_patron(world, desk, hanako):
    desk.as_user("R")
    response = desk.get("/patrons?q=CARD-7781")
    assert response.status_code == 302 and response.headers["Location"] == "/patrons/CARD-7781"
    htmx = desk.get("/patrons?q=CARD-7781", htmx=True, headers={"HX-Trigger": "patron-search"})
    assert htmx.headers["HX-Redirect"] == "/patrons/CARD-7781"
    typing = desk.get("/patrons?q=CARD-7781", htmx=True, headers={"HX-Trigger": "patron-q"})
    assert typing.status_code == 200 and "山田 花子" in typing.get_data(as_text=True)


def test_another_librarys_card_number_is_not_opened(world, desk, hanako):
    desk.as_user("L1")
    response = desk.get("/patrons?q=CARD-7781")
    assert response.status_code == 200 and "山田" not in response.get_data(as_text=True)


def test_list_is_paged(world, desk):
    for i in range(30):
        create_patron(world.user("R"), {"number": f"N{i:03d}", "name": f"Patron {i:03d}"})
    desk.as_user("R")
    first = desk.get("/patrons", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert first.count('class="mono"><a href="/patrons/N') == 25 and "Page 1 of 2" in first
    second = desk.get("/patrons?page=2").get_data(as_text=True)
    assert second.count('class="mono"><a href="/patrons/N') == 5


# -- one patron, create, edit ---------------------------------------------------------

def test_patron_page_shows_details_consent_history_and_requests(world, desk, hanako):
    record = create_record(world.user("R"), {"kind": "copy", "citation": {"title": "図書館雑誌"},
                                             "candidates": [{"library": "L1"}], "patron": "CARD-7781"})
    desk.as_user("R")
    html = desk.get("/patrons/CARD-7781").get_data(as_text=True)
    assert "hanako.secret@example.jp" in html and "+819012345678" in html
    assert record.ill_id in html and "図書館雑誌" in html
    assert "user_r" in html  # who recorded the consent
    assert 'href="/records/new?patron=CARD-7781"' in html


def test_create_then_redirect(world, desk):
    desk.as_user("R")
    assert desk.get("/patrons/new").status_code == 200
    response = desk.post("/patrons/new", {"number": "N1", "name": "佐藤 一郎", "group": "faculty",
                                          "email": "ichiro@example.jp", "mobile": "080 1111 2222", "language": "ja",
                                          "active": "1", "sms_consent": "1", "consent_method": "form"})
    assert response.status_code == 302 and response.headers["Location"] == "/patrons/N1"
    created = patron(world, "N1")
    assert created.mobile == "+818011112222" and created.sms_consent and created.consents[0].method == "form"
    assert created.consents[0].recorded_by_id == world.user("R").id


def test_create_errors_re_render_with_inputs_and_japanese_messages(world, desk):
    desk.as_user("R")
    form = {"number": "N 1", "name": "佐藤", "email": "bad@", "mobile": "03-1234-5678", "language": "ja",
            "active": "1"}
    response = desk.post("/patrons/new", form, htmx=True, headers={"Accept-Language": "ja"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in html
    assert 'value="N 1"' in html and 'value="佐藤"' in html and 'value="03-1234-5678"' in html
    assert "携帯電話番号を入力してください" in html and "メールアドレスの形式が正しくありません" in html
    assert db.session.scalar(db.select(db.func.count(Patron.id))) == 0


def test_edit_and_edit_errors(world, desk, hanako):
    desk.as_user("R")
    assert 'value="山田 花子"' in desk.get("/patrons/CARD-7781/edit").get_data(as_text=True)
    bad = desk.post("/patrons/CARD-7781/edit", {"number": "CARD-7781", "name": "", "mobile": "0120-123-456",
                                                "language": "en", "active": "1"})
    assert bad.status_code == 422 and 'value="0120-123-456"' in bad.get_data(as_text=True)
    assert patron(world, "CARD-7781").mobile == "+819012345678"
    ok = desk.post("/patrons/CARD-7781/edit", {"number": "CARD-7781", "name": "Yamada Hanako", "email": "",
                                               "mobile": "090-1234-5678", "language": "en"})
    assert ok.status_code == 302
    changed = patron(world, "CARD-7781")
    assert (changed.name, changed.email, changed.language, changed.active) == ("Yamada Hanako", None, "en", False)


def test_record_and_withdraw_consent_as_fragments(world, desk, hanako):
    desk.as_user("R")
    out = desk.post("/patrons/CARD-7781/consent/withdraw", {"method": "phone"}, htmx=True)
    assert out.status_code == 200 and 'id="consent"' in out.get_data(as_text=True)
    assert patron(world, "CARD-7781").sms_consent is False
    bad = desk.post("/patrons/CARD-7781/consent", {"method": "telepathy", "wording": "x"}, htmx=True)
    assert bad.status_code == 422
    given = desk.post("/patrons/CARD-7781/consent", {"method": "form", "wording": "SMSで受け取ります。"}, htmx=True)
    assert given.status_code == 200 and "SMSで受け取ります。" in given.get_data(as_text=True)
    rows = patron(world, "CARD-7781").consents
    assert [(c.action, c.method, c.recorded_by_id) for c in rows] == [
        ("given", "counter", world.user("R").id), ("withdrawn", "phone", world.user("R").id),
        ("given", "form", world.user("R").id)]


# -- CSV import page --------------------------------------------------------------------

def upload(desk, content: bytes, name="patrons.csv", htmx=True):
    return desk.post("/patrons/import", [("file", (io.BytesIO(content), name))], htmx=htmx,
                     content_type="multipart/form-data")


def test_import_page_good_file_and_bad_row(world, desk):
    desk.as_user("R")
    assert desk.get("/patrons/import").status_code == 200
    good = upload(desk, "number,name,mobile\nI1,一郎,09011112222\nI2,二郎,\n".encode("cp932"))
    html = good.get_data(as_text=True)
    assert good.status_code == 200 and html.count("import-row--created") == 2
    assert patron(world, "I1").mobile == "+819011112222"
    bad = upload(desk, b"number,name,email\nI3,Three,\nI4,,bad\n")
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "import-row--error" in html and "import-row--created" in html
    assert patron(world, "I3") is None


def test_import_page_without_file_or_with_a_bad_header(world, desk):
    desk.as_user("R")
    assert desk.post("/patrons/import", {}, htmx=True).status_code == 422
    response = upload(desk, b"who,what\n1,2\n")
    assert response.status_code == 422 and "who" in response.get_data(as_text=True)


# -- tenant isolation ---------------------------------------------------------------------

@pytest.mark.parametrize("method, url", [
    ("get", "/patrons/CARD-7781"), ("get", "/patrons/CARD-7781/edit"), ("post", "/patrons/CARD-7781/edit"),
    ("post", "/patrons/CARD-7781/consent"), ("post", "/patrons/CARD-7781/consent/withdraw"),
])
def test_another_librarys_patron_is_404_on_every_page(world, desk, hanako, method, url):
    desk.as_user("L1")
    if method == "get":
        response = desk.get(url)
    else:
        response = desk.post(url, {"number": "X", "name": "Taken over", "method": "counter"})
    assert response.status_code == 404
    assert "山田" not in response.get_data(as_text=True)
    kept = patron(world, "CARD-7781")
    assert kept.name == "山田 花子" and len(kept.consents) == 1


def test_another_librarys_patron_is_not_picked_or_suggested(world, desk, hanako):
    desk.as_user("L1")
    picked = desk.get("/patrons/lookup?pick=CARD-7781", htmx=True).get_data(as_text=True)
    assert "山田" not in picked and 'name="patron"' not in picked
    suggested = desk.get("/patrons/lookup?q=山田", htmx=True, headers={"HX-Trigger": "patron-lookup"})
    assert "山田" not in suggested.get_data(as_text=True)
    entered = desk.get("/patrons/lookup?q=CARD-7781", htmx=True, headers={"HX-Trigger": "patron-find"})
    assert "山田" not in entered.get_data(as_text=True)
    page = desk.get("/records/new?patron=CARD-7781").get_data(as_text=True)
    assert "山田" not in page


@pytest.mark.parametrize("url", ["/patrons", "/patrons/new", "/patrons/import", "/patrons/CARD-7781",
                                 "/patrons/lookup?q=x"])
def test_patron_pages_need_a_login(client, world, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_patron_forms_need_the_csrf_token(world, desk, hanako):
    desk.as_user("R")
    response = desk.post("/patrons/CARD-7781/consent/withdraw", {"method": "counter"}, csrf=False)
    assert response.status_code == 400 and patron(world, "CARD-7781").sms_consent


# -- the new-request form's patron picker -------------------------------------------------

def test_typing_suggests_and_enter_on_a_scanned_card_picks(world, desk, hanako):
    create_patron(world.user("R"), {"number": "P2", "name": "山田 次郎"})
    desk.as_user("R")
    suggestions = desk.get("/patrons/lookup?q=山田", htmx=True, headers={"HX-Trigger": "patron-lookup"})
    text = suggestions.get_data(as_text=True)
    assert text.count("<li>") == 2 and 'id="patron-suggestions"' in text and 'name="patron"' not in text
    scanned = desk.get("/patrons/lookup?q=CARD-7781", htmx=True, headers={"HX-Trigger": "patron-find"})
    text = scanned.get_data(as_text=True)
    assert '<input type="hidden" name="patron" value="CARD-7781">' in text
    assert re.search(r'<input id="f-client_name" name="client_name" type="text" value="山田 花子" hx-swap-oob="true">', text)
    assert '<option value="大学院生" selected>' in text
    several = desk.get("/patrons/lookup?q=山田", htmx=True, headers={"HX-Trigger": "patron-find"})
    assert 'name="patron"' not in several.get_data(as_text=True) and several.get_data(as_text=True).count("<li>") == 2
    picked = desk.get("/patrons/lookup?pick=P2", htmx=True).get_data(as_text=True)
    assert 'name="patron" value="P2"' in picked


def test_picker_without_javascript(world, desk, hanako):
    desk.as_user("R")
    assert desk.get("/patrons/lookup?q=CARD-7781").headers["Location"] == "/records/new?patron_q=CARD-7781"
    html = desk.get("/records/new?patron_q=CARD-7781").get_data(as_text=True)
    assert 'name="patron" value="CARD-7781"' in html and 'value="山田 花子"' in html
    html = desk.get("/records/new?patron=CARD-7781").get_data(as_text=True)
    assert 'name="patron" value="CARD-7781"' in html


def test_new_request_with_a_patron_links_it_and_fills_the_client(world, desk, hanako):
    desk.as_user("R")
    response = desk.post("/records/new", [("kind", "copy"), ("title", "図書館雑誌"), ("patron", "CARD-7781"),
                                          ("client_name", ""), ("client_type", ""), ("candidate_library", "L1"),
                                          ("action", "order")])
    assert response.status_code == 302
    record = db.session.scalars(db.select(Record).order_by(Record.id.desc())).first()
    assert (record.patron.number, record.client_name, record.client_type) == ("CARD-7781", "山田 花子", "大学院生")
    page = desk.get(f"/records/{record.ill_id}").get_data(as_text=True)
    assert 'href="/patrons/CARD-7781"' in page


def test_new_request_with_an_unknown_patron_keeps_the_inputs(world, desk):
    desk.as_user("R")
    response = desk.post("/records/new", [("kind", "copy"), ("title", "図書館雑誌"), ("patron", "NOPE"),
                                          ("candidate_library", "L1"), ("action", "save")], htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'value="図書館雑誌"' in html and 'id="patron-lookup"' in html
    assert db.session.scalar(db.select(db.func.count(Record.id))) == 0


# -- the lender never sees the patron --------------------------------------------------------

def test_the_lender_never_sees_the_patron_in_pages_or_slips(world, desk, hanako):
    record = create_record(world.user("R"), {"kind": "loan", "citation": {"title": "図書館雑誌"},
                                             "candidates": [{"library": "L1"}], "patron": "CARD-7781"})
    record = perform_command(world.user("R"), record.ill_id, "ORDER", {})
    desk.as_user("L1")
    pages = [desk.get(f"/records/{record.ill_id}"), desk.get("/?side=lender"),
             desk.get(f"/search?q={record.ill_id[:-1]}"), desk.get("/records/" + record.ill_id, htmx=True)]
    for response in pages:
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        for secret in SECRETS:
            assert secret not in text
    assert "山田 花子" in pages[0].get_data(as_text=True)  # CLNT itself is shared, as in NACSIS-ILL
    assert "/patrons/" not in pages[0].get_data(as_text=True)
    slip = desk.get(f"/records/{record.ill_id}/slips/receipt.pdf")
    assert slip.status_code == 200 and slip.mimetype == "application/pdf"
    text = subprocess.run([shutil.which("pdftotext"), "-", "-"], input=slip.data, capture_output=True,
                          check=True).stdout.decode()
    assert record.ill_id in text
    for secret in SECRETS + ("hanako.secret",):
        assert secret not in text
