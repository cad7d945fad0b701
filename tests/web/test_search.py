"""/search: fields, the ILL ID shortcut, the archive switch, copy to new request."""
from datetime import datetime, timedelta, timezone

from portal.extensions import db
from portal.models import Record
from portal.services.archive import archive_old_records
from web_helpers import HTMX


def test_search_page_full_and_fragment(world, desk):
    desk.as_user("R")
    page = desk.get("/search")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    assert 'for="search-q"' in page.get_data(as_text=True)
    record = world.record("PREPARING")
    fragment = desk.get("/search?title=日本図書館", htmx=True).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="results"') and record.ill_id in fragment


def test_ill_id_opens_the_record(world, desk):
    record = world.record("PROCESSING")
    desk.as_user("R")
    response = desk.get(f"/search?q={record.ill_id}")
    assert response.status_code == 302 and response.headers["Location"] == f"/records/{record.ill_id}"
    response = desk.get(f"/search?q=%20{record.ill_id}%20", headers=HTMX)
    assert response.headers["HX-Redirect"] == f"/records/{record.ill_id}"


def test_ill_id_of_another_pair_does_not_open(world, desk):
    record = world.record("PROCESSING")
    desk.as_user("X")
    response = desk.get(f"/search?q={record.ill_id}")
    assert response.status_code == 200
    assert record.ill_id not in response.get_data(as_text=True).split('id="results"')[1]


def test_search_fields(world, desk):
    copy = world.record("SHIPPED", citation={"title": "情報の科学と技術"}, client={"name": "佐藤"},
                        requester_number="ONO-77")
    loan = world.record("PROCESSING", kind="loan", candidates=("L2",))
    desk.as_user("R")

    def found(query):
        html = desk.get("/search?" + query).get_data(as_text=True).split('id="results"')[1]
        return {r.ill_id for r in (copy, loan) if r.ill_id in html}

    assert found("title=科学と技術") == {copy.ill_id}
    assert found("client=佐藤") == {copy.ill_id}
    assert found("local_number=ONO-77") == {copy.ill_id}
    assert found("kind=loan") == {loan.ill_id}
    assert found("status=SHIPPED") == {copy.ill_id}
    assert found("partner=L2") == {loan.ill_id}
    assert found("all=1") == {copy.ill_id, loan.ill_id}
    assert found("date_from=2000-01-01&date_to=2999-01-01") == {copy.ill_id, loan.ill_id}
    assert found("date_to=2000-01-01") == set()


def test_archive_switch_and_copy_to_new_request(world, desk):
    record = world.record("CONFIRMED")
    db.session.get(Record, record.id).updated_at = datetime.now(timezone.utc) - timedelta(days=400)
    db.session.commit()
    assert archive_old_records(183) == 1
    desk.as_user("R")
    assert record.ill_id not in desk.get("/search?all=1").get_data(as_text=True).split('id="results"')[1]
    html = desk.get("/search?all=1&archive=1").get_data(as_text=True).split('id="results"')[1]
    assert record.ill_id in html and f'action="/records/{record.ill_id}/copy"' in html
    response = desk.post(f"/records/{record.ill_id}/copy")
    assert response.status_code == 302
    db.session.expire_all()
    copy = db.session.scalars(db.select(Record).order_by(Record.id.desc())).first()
    assert copy.id != record.id and copy.status == "PREPARING" and copy.title == "日本図書館情報学会誌"
    assert response.headers["Location"] == f"/records/{copy.ill_id}"


def test_only_the_requester_copies(world, desk, other_desk):
    record = world.record("CONFIRMED")
    desk.as_user("L1")
    html = desk.get(f"/records/{record.ill_id}").get_data(as_text=True)
    assert "/copy" not in html
    assert desk.post(f"/records/{record.ill_id}/copy").status_code == 403
    other_desk.as_user("X")
    assert other_desk.post(f"/records/{record.ill_id}/copy").status_code == 403


def test_author_and_standard_numbers_with_or_without_hyphens(world, desk):
    journal = world.record("PREPARING", citation={"title": "図書館雑誌", "author": "日本図書館協会",
                                                  "std_no": "0385-4000"})
    book = world.record("PREPARING", citation={"title": "情報サービス論", "std_no": "978-4-7872-0042-3"})
    desk.as_user("R")

    def found(q):
        html = desk.get("/search", query_string={"q": q}).get_data(as_text=True).split('id="results"')[1]
        return {r.ill_id for r in (journal, book) if r.ill_id in html}

    assert found("図書館協会") == {journal.ill_id}
    assert found("0385-4000") == found("03854000") == found("０３８５－４０００") == {journal.ill_id}
    assert found("9784787200423") == found("978-4-7872-0042-3") == {book.ill_id}
    assert found("4787200423") == {book.ill_id}
    assert found("1234-5678") == set()


def test_search_results_and_work_lists_export_as_csv_with_bom(world, desk):
    import csv
    import io
    record = world.record("PREPARING", citation={"title": '=HYPERLINK("x")図書館雑誌', "author": "山田"})
    other = world.record("PREPARING", requester="X", candidates=("L1",))
    desk.as_user("R")
    for url in ("/search?all=1&format=csv", "/?format=csv", "/?side=requester&sort=-title&format=csv"):
        response = desk.get(url)
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert "attachment" in response.headers["Content-Disposition"]
        body = response.get_data()
        assert body.startswith("\ufeff".encode("utf-8"))
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        assert rows[0][0] == "ILL ID" and rows[0][1] == "状態"
        ids = [row[0] for row in rows[1:]]
        assert record.ill_id in ids and other.ill_id not in ids  # only the library's own records
        row = next(r for r in rows[1:] if r[0] == record.ill_id)
        assert row[3].startswith("'=HYPERLINK") and "山田" in row
    assert 'format=csv" download>' in desk.get("/").get_data(as_text=True)
    assert "format=csv" in desk.get("/search?all=1").get_data(as_text=True)


def test_an_ill_id_opens_the_record_for_a_former_lender_and_never_for_an_unknown_one(world, desk):
    """The shortcut asks who may see the record as load_record does: the lender that declined keeps
    read access (its record opens), and an ID of no record, or past the id column, is searched as text."""
    record = world.record("PROCESSING", candidates=("L1", "L2"))
    world.run("L1", record, "PARDON", comment="no holding")  # forwarded to L2: L1 is a former lender
    desk.as_user("L1")
    response = desk.get(f"/search?q={record.ill_id}")
    assert response.status_code == 302 and response.headers["Location"] == f"/records/{record.ill_id}"
    for unknown in (str(int(record.ill_id) + 1000), "9" * 30, "0"):
        assert desk.get(f"/search?q={unknown}").status_code == 200, unknown
