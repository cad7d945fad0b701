"""The help page: linked from the header, the shortcuts it names exist on the pages, translated."""
from __future__ import annotations

from portal.web.help import SHORTCUTS


def test_help_page_is_linked_from_the_header_and_lists_the_shortcuts(world, desk):
    desk.as_user("L1")
    home = desk.get("/").get_data(as_text=True)
    assert 'href="/help"' in home
    page = desk.get("/help", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for key in SHORTCUTS:
        assert f"<kbd>{key}</kbd>" in html


def test_the_documented_shortcuts_are_on_their_pages(world, desk):
    record = world.record("PROCESSING")
    desk.as_user("L1")
    assert 'data-shortcut="s"' in desk.get("/").get_data(as_text=True)
    bulk = desk.get("/bulk/send").get_data(as_text=True)
    assert 'id="scan-input"' in bulk and 'data-shortcut="i"' in bulk and 'data-shortcut="r"' in bulk
    assert 'data-shortcut="c"' in desk.get(f"/records/{record.ill_id}").get_data(as_text=True)


def test_help_needs_a_login(client):
    assert client.get("/help").status_code == 302


def test_search_page_landmarks_are_unique(world, desk):
    """The header's quick search and the search page's form are both search landmarks: each has its own name."""
    import re
    desk.as_user("L1")
    html = desk.get("/search?q=x").get_data(as_text=True)
    names = re.findall(r'<form[^>]*role="search"[^>]*aria-label="([^"]+)"', html)
    searches = re.findall(r'<form[^>]*role="search"', html)
    assert len(searches) == 2 and len(set(names)) == 2
    assert html.count("<main") == 1 and html.count("<header") == 1
