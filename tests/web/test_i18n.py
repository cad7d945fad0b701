"""Japanese and English: catalogues, locale choice, labels and translated errors."""
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from portal.extensions import db
from portal.models import User
from portal.web.messages import DOMAIN_MESSAGES, FILLED_TEMPLATES
from portal.workflow import machine

TRANSLATIONS = Path(__file__).parents[2] / "portal" / "translations"


def catalogue(locale: str, kind: str):
    path = TRANSLATIONS / locale / "LC_MESSAGES" / f"messages.{kind}"
    with open(path, "rb") as file:
        return read_po(file, locale=locale) if kind == "po" else read_mo(file)


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_compiled_catalogue_matches_the_po_file(locale):
    """Run `pybabel compile -d portal/translations` after editing a .po file."""
    po, mo = catalogue(locale, "po"), catalogue(locale, "mo")

    def entries(catalog, from_po):
        result = {}
        for message in catalog:
            if not message.id or (from_po and message.fuzzy):
                continue
            key = tuple(message.id) if isinstance(message.id, (list, tuple)) else message.id
            value = tuple(message.string) if isinstance(message.string, (list, tuple)) else message.string
            if value == key:  # the compiler writes an untranslated plural as its msgids
                continue
            if (any(value) if isinstance(value, tuple) else value):
                result[key] = value
        return result

    expected, compiled = entries(po, True), entries(mo, False)
    assert compiled == expected


def test_every_refusal_of_the_machine_is_listed_for_translation():
    refusals = {getattr(machine, name).refusal for name in dir(machine)
                if hasattr(getattr(machine, name), "refusal")}
    assert refusals <= set(DOMAIN_MESSAGES)


def test_domain_messages_are_translated_to_japanese():
    ja = {m.id: m.string for m in catalogue("ja", "po") if m.id}
    missing = [text for text in DOMAIN_MESSAGES + FILLED_TEMPLATES if not ja.get(text)]
    assert missing == []


def test_japanese_work_list_shows_status_names(world, desk):
    world.record("UNPROCESSED")
    desk.as_user("L1")
    html = desk.get("/?side=lender", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "未処理" in html and 'lang="ja"' in html and "ワークリスト" in html


def test_english_page_shows_new_request(world, desk):
    world.record("UNPROCESSED")
    desk.as_user("L1")
    desk.post("/language", {"language": "en", "next": "/"})
    html = desk.get("/?side=lender").get_data(as_text=True)
    assert "New request" in html and "未処理" not in html and 'lang="en"' in html


def test_browser_language_then_saved_language(world, desk):
    desk.as_user("R")
    assert 'lang="en"' in desk.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert 'lang="ja"' in desk.get("/", headers={"Accept-Language": "ja,en;q=0.5"}).get_data(as_text=True)
    response = desk.post("/language", {"language": "ja", "next": "/search"})
    assert response.status_code == 302 and response.headers["Location"] == "/search"
    db.session.expire_all()
    assert db.session.scalar(db.select(User).where(User.username == "user_r")).language == "ja"
    assert 'lang="ja"' in desk.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_language_switch_on_the_log_in_page(world, client):
    from web_helpers import csrf_token
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/language", data={"language": "en", "next": "/login", "csrf_token": token})
    assert 'lang="en"' in client.get("/login", headers={"Accept-Language": "ja"}).get_data(as_text=True)


def test_language_switch_never_redirects_away(world, desk):
    desk.as_user("R")
    response = desk.post("/language", {"language": "en", "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


def test_domain_errors_are_translated(world, desk):
    record = world.record("PROCESSING")
    desk.as_user("L1")
    desk.post("/language", {"language": "ja", "next": "/"})
    html = desk.post(f"/records/{record.ill_id}/commands/PARDON", {"version": record.version, "comment": ""},
                     htmx=True).get_data(as_text=True)
    assert "PARDON にはコメントが必須です。" in html
    desk.post("/language", {"language": "en", "next": "/"})
    html = desk.post(f"/records/{record.ill_id}/commands/PARDON", {"version": record.version, "comment": ""},
                     htmx=True).get_data(as_text=True)
    assert "A comment is required for PARDON." in html


def test_refusal_names_the_status_in_the_users_language(world, desk):
    record = world.record("PROCESSING")
    world.run("L1", record, "INQUIRE", comment="?")
    desk.as_user("L1")
    desk.post("/language", {"language": "ja", "next": "/"})
    html = desk.post(f"/records/{record.ill_id}/commands/SEND", {"comment": ""}, htmx=True).get_data(as_text=True)
    assert "新着照会" in html


def test_dates_follow_the_locale(world, desk):
    record = world.record("SHIPPED", kind="loan", requester_number="x")
    desk.as_user("R")
    due = record.due_on
    desk.post("/language", {"language": "en", "next": "/"})
    html = desk.get(f"/records/{record.ill_id}").get_data(as_text=True)
    assert f"{due.strftime('%b')} {due.day}, {due.year}" in html
    desk.post("/language", {"language": "ja", "next": "/"})
    html = desk.get(f"/records/{record.ill_id}").get_data(as_text=True)
    assert due.strftime("%Y/%m/%d") in html
