"""CSV import (service and CLI) and `patrons add`: a result per row, nothing
half-imported, UTF-8 with BOM and Shift_JIS, duplicate numbers."""
from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import Patron, PatronConsent
from portal.services.patron_import import import_patrons
from portal.services.patrons import create_patron, find_patron
from portal.workflow.errors import ValidationError

GOOD = ("number,name,group,email,mobile,language,sms_consent\n"
        "P001,山田 花子,graduate,hanako@example.jp,090-1234-5678,ja,counter\n"
        "P002,John Smith,faculty,john@example.com,,en,\n"
        "P003,佐藤 一郎,undergraduate,,080 1111 2222,ja,\n")


def patrons_of(world, code="R"):
    db.session.expire_all()
    return {p.number: p for p in db.session.scalars(
        db.select(Patron).where(Patron.library_id == world.libraries[code].id))}


def test_good_file_creates_every_row(world):
    result = import_patrons(world.libraries["R"], GOOD.encode(), world.user("R"))
    assert result.applied and [(r.line, r.number, r.outcome) for r in result.rows] == [
        (2, "P001", "created"), (3, "P002", "created"), (4, "P003", "created")]
    patrons = patrons_of(world)
    assert patrons["P001"].mobile == "+819012345678" and patrons["P001"].sms_consent
    assert patrons["P001"].consents[0].method == "counter"
    assert patrons["P002"].language == "en" and patrons["P002"].mobile is None
    assert patrons["P003"].sms_consent is False


def test_reimport_updates_changed_rows_and_leaves_the_rest(world):
    import_patrons(world.libraries["R"], GOOD.encode())
    newer = GOOD.replace("john@example.com", "john.smith@example.com")
    result = import_patrons(world.libraries["R"], newer.encode())
    assert [r.outcome for r in result.rows] == ["unchanged", "updated", "unchanged"]
    assert patrons_of(world)["P002"].email == "john.smith@example.com"
    assert db.session.scalar(db.select(db.func.count(PatronConsent.id))) == 1  # consent not recorded twice


def test_a_bad_row_refuses_the_whole_file_with_each_rows_result(world):
    create_patron(world.user("R"), {"number": "P002", "name": "Before"})
    bad = GOOD + "P004,,staff,not-an-email,03-1234-5678,fr,\nP001,Duplicate,,,,ja,\n"
    result = import_patrons(world.libraries["R"], bad.encode())
    assert not result.applied
    outcomes = {r.line: (r.outcome, set(r.errors)) for r in result.rows}
    assert outcomes == {2: ("created", set()), 3: ("updated", set()), 4: ("created", set()),
                        5: ("error", {"name", "email", "mobile", "language"}), 6: ("error", {"number"})}
    assert set(patrons_of(world)) == {"P002"} and patrons_of(world)["P002"].name == "Before"


@pytest.mark.parametrize("encoding, prefix", [("utf-8", "\ufeff"), ("cp932", ""), ("utf-8", "")])
def test_bom_and_shift_jis(world, encoding, prefix):
    result = import_patrons(world.libraries["R"], (prefix + GOOD).encode(encoding))
    assert result.applied and len(result.rows) == 3
    assert patrons_of(world)["P001"].name == "山田 花子"


def test_tab_separated_and_blank_lines(world):
    text = "number\tname\r\nT1\tTab Patron\r\n\r\n"
    assert import_patrons(world.libraries["R"], text.encode()).applied
    assert patrons_of(world)["T1"].name == "Tab Patron"


@pytest.mark.parametrize("data, message", [
    (b"", "The file is empty."),
    (b"number,name,shoe_size\nP1,A,42\n", "Unknown column shoe_size"),
    (b"name\nA\n", "The header lacks the column number."),
    (b"number,name,name\nP1,A,B\n", "Column name appears twice."),
    (b"\x80\x81\xff\xfe\x00", "The file is not UTF-8 or Shift_JIS text."),
])
def test_file_level_problems(world, data, message):
    with pytest.raises(ValidationError) as error:
        import_patrons(world.libraries["R"], data)
    assert error.value.fields["file"].startswith(message)
    assert patrons_of(world) == {}


def test_row_with_too_many_cells_and_bad_flags(world):
    result = import_patrons(world.libraries["R"], b"number,name,active\nP1,A,1,extra\nP2,B,maybe\nP3,C,0\n")
    assert not result.applied
    assert [(r.outcome, set(r.errors)) for r in result.rows] == [
        ("error", {"row"}), ("error", {"active"}), ("created", set())]


def test_import_is_per_library(world):
    import_patrons(world.libraries["L1"], GOOD.encode())
    assert set(patrons_of(world, "L1")) == {"P001", "P002", "P003"} and patrons_of(world, "R") == {}


# -- CLI ------------------------------------------------------------------------

def test_cli_add_with_consent(runner, world):
    result = runner.invoke(args=["patrons", "add", "C100", "--library", "R", "--name", "山田 花子",
                                 "--group", "faculty", "--email", "h@example.jp", "--mobile", "090-1234-5678",
                                 "--language", "ja", "--sms-consent", "counter"])
    assert result.exit_code == 0, result.output
    assert "C100" in result.output and "+819012345678" in result.output
    patron = find_patron(world.libraries["R"].id, "C100")
    assert patron.sms_consent and patron.consents[0].method == "counter" and patron.consents[0].recorded_by_id is None


@pytest.mark.parametrize("args", [
    ["--mobile", "03-1234-5678"], ["--email", "bad"], ["--sms-consent", "magic"], ["--library", "NOPE"]])
def test_cli_add_bad_input_is_a_one_line_error(runner, world, args):
    base = ["patrons", "add", "C100", "--library", "R", "--name", "A"]
    result = runner.invoke(args=base + args)
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:") and "Traceback" not in result.output
    assert find_patron(world.libraries["R"].id, "C100") is None


def test_cli_import_good_file(runner, world, tmp_path):
    path = tmp_path / "patrons.csv"
    path.write_bytes(GOOD.encode("cp932"))
    result = runner.invoke(args=["patrons", "import", str(path), "--library", "R"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:3] == ["line 2 P001: created", "line 3 P002: created", "line 4 P003: created"]
    assert "3 created" in result.output
    assert len(patrons_of(world)) == 3


def test_cli_import_bad_row_changes_nothing(runner, world, tmp_path):
    path = tmp_path / "patrons.csv"
    path.write_text(GOOD + "P001,Again,,,,,\n", encoding="utf-8")
    result = runner.invoke(args=["patrons", "import", str(path), "--library", "R"])
    assert result.exit_code != 0
    lines = result.output.splitlines()
    assert lines[0] == "line 2 P001: ok (not imported)"
    assert lines[3].startswith("line 5 P001: error - number: The same number is on an earlier row")
    assert lines[-1] == "Error: Nothing imported: 1 of 4 rows have errors."
    assert patrons_of(world) == {}


def test_cli_import_bad_file_is_a_one_line_error(runner, world, tmp_path):
    path = tmp_path / "patrons.csv"
    path.write_text("who,what\n1,2\n", encoding="utf-8")
    result = runner.invoke(args=["patrons", "import", str(path), "--library", "R"])
    assert result.exit_code != 0 and len(result.output.strip().splitlines()) == 1
    assert result.output.startswith("Error: Please correct the marked fields. file: Unknown column who")
