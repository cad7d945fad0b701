"""Every string the code and the templates mark for translation has a Japanese translation.

The strings are extracted in memory with Babel's own extractor and babel.cfg (the same
extraction `pybabel extract` does), without writing the .pot or touching the catalogues."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).parents[2]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "N_": None}  # babel.cfg's header: -k _l -k N_


def extracted() -> dict[str, list[str]]:
    with open(ROOT / "babel.cfg", encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file)
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True):
        msgid = message[0] if isinstance(message, tuple) else message  # a plural: its singular is the key
        if msgid:
            found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


def japanese() -> dict[str, str]:
    with open(ROOT / "portal/translations/ja/LC_MESSAGES/messages.po", "rb") as file:
        return {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in read_po(file, locale="ja")
                if m.id and not m.fuzzy}


def test_the_extractor_finds_strings_of_code_and_templates():
    found = extracted()
    assert "Log in" in found and any(where.startswith("portal/templates/") for where in found["Log in"])
    assert any(where.split(":")[0].endswith(".py") for places in found.values() for where in places)


def test_every_ui_string_has_a_japanese_translation():
    ja = japanese()

    def translated(value) -> bool:
        return all(value) if isinstance(value, (list, tuple)) else bool(value)

    missing = sorted(f"{places[0]}: {msgid!r}" for msgid, places in extracted().items()
                     if not translated(ja.get(msgid)))
    assert missing == [], f"{len(missing)} strings without Japanese:\n" + "\n".join(missing)


def test_system_notes_roles_and_slip_sizes_are_shown_in_the_users_language(world, desk):
    from portal.services.admin import update_library
    from portal.web.labels import SYSTEM_NOTES
    from portal.services.blocks import OVERRIDE_NOTE
    from portal.workflow.machine import ALL_DECLINED_NOTE, ARCHIVED_NOTE, BLOCKED_NOTE, SKIPPED_NOTE
    assert set(SYSTEM_NOTES) == {SKIPPED_NOTE, ALL_DECLINED_NOTE, ARCHIVED_NOTE, BLOCKED_NOTE, OVERRIDE_NOTE}
    update_library(world.libraries["L1"], service=False)
    record = world.record("UNPROCESSED")  # forwarded past L1 to L2 by the system
    desk.as_user("R")
    desk.post("/language", {"language": "ja", "next": "/"})
    html = desk.get(f"/records/{record.ill_id}").get_data(as_text=True)
    assert "サービス停止中につきシステムが転送しました: L1" in html and "Service suspended" not in html
    settings = desk.get("/settings").get_data(as_text=True)
    assert "ラベル (100 × 150 mm" in settings
    desk.post("/language", {"language": "en", "next": "/"})
    html = desk.get(f"/records/{record.ill_id}").get_data(as_text=True)
    assert "Service suspended; forwarded by the system: L1" in html and "サービス停止中" not in html
    assert "Label (100 × 150 mm" in desk.get("/settings").get_data(as_text=True)


def test_catalogues_have_a_msgstr_for_every_msgid_and_no_duplicates():
    """The .po files merge by union (.gitattributes): a merge can glue two entries so that one
    loses its msgstr, or list an entry twice. Either would drop or shadow a translation."""
    import re
    for language in ("ja", "en"):
        text = (ROOT / f"portal/translations/{language}/LC_MESSAGES/messages.po").read_text(encoding="utf-8")
        entries = re.findall(r'^msgid "(.*)"\n(?:".*"\n)*(msgid_plural|msgstr)', text, re.M)
        assert len(entries) == len(re.findall(r"^msgid ", text, re.M)), f"{language}: a msgid without msgstr"
        ids = [m for m, _ in entries if m]
        assert sorted({i for i in ids if ids.count(i) > 1}) == [], f"{language}: msgids listed twice"
