"""Demonstration data: libraries, users and records in every status, made by real commands."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from ..extensions import db
from ..models import FeeDefault, Library, Record, User
from ..workflow.due import item_out
from . import portal_today, portal_zone, unit_of_work
from .admin import add_library, add_user
from .patrons import create_patron, find_patron
from .records import create_record, perform_command

DEMO_PASSWORD = "ill-demo-2026"

LIBRARIES = [
    dict(code="FA000001", name="北海道大学附属図書館 (Hokkaido Univ. Library)", address="〒060-0808 札幌市北区北8条西5丁目",
         email="ill@lib.hokudai.example", loan_days=14),
    dict(code="FA000002", name="東北大学附属図書館 (Tohoku Univ. Library)", address="〒980-8576 仙台市青葉区川内27-1",
         email="ill@library.tohoku.example", loan_days=21),
    dict(code="FA000003", name="京都大学附属図書館 (Kyoto Univ. Library)", address="〒606-8501 京都市左京区吉田本町",
         email="ill@kulib.kyoto.example", loan_days=14, loan_service=False),
    dict(code="FA000004", name="九州大学附属図書館 (Kyushu Univ. Library)", address="〒819-0395 福岡市西区元岡744",
         email="ill@lib.kyushu.example", loan_days=28),
    dict(code="OCLC0001", name="University of Michigan Library (OCLC)", address="913 S. University Ave, Ann Arbor, MI, USA",
         email="ill@umich.example", loan_days=30, network="OCLC", currency="USD"),
    dict(code="OCLC0002", name="Cornell University Library (OCLC)", address="Ithaca, NY 14853, USA",
         email="ill@cornell.example", loan_days=30, network="OCLC", currency="USD"),
]
USERS = [  # username, library, role
    ("alice", "FA000001", "manager"), ("bob", "FA000001", "staff"),
    ("carol", "FA000002", "manager"), ("dave", "FA000002", "staff"),
    ("erin", "FA000003", "manager"), ("frank", "FA000003", "staff"),
    ("grace", "FA000004", "manager"), ("heidi", "FA000004", "staff"),
    ("ivan", "OCLC0001", "manager"), ("judy", "OCLC0001", "staff"),
    ("mallory", "OCLC0002", "manager"), ("oscar", "OCLC0002", "staff"),
    ("admin", "FA000001", "admin"),
]
TITLES = [
    ("日本図書館情報学会誌", "大学図書館における相互貸借の現状", "62(3)", "145-160", "2016"),
    ("情報管理", "NACSIS-ILLの30年", "59(1)", "2-10", "2016"),
    ("図書館雑誌", "ILL業務の効率化について", "110(5)", "280-283", "2016"),
    ("Journal of Documentation", "Resource sharing in academic libraries", "74(2)", "333-350", "2018"),
    ("大学図書館研究", "文献複写サービスの費用分析", "105", "1-12", "2017"),
    ("カレントアウェアネス", "ISO 18626とILLの相互運用", "340", "15-18", "2019"),
    ("源氏物語 (岩波文庫)", "", "第1巻", "", "2017"),
    ("The Structure of Scientific Revolutions", "", "4th ed.", "", "2012"),
]

# The commands that bring a record to each status: (side, command, extra input).
REQ, LEN = "requester", "lender"
FEES = {"fees": {"groups": [{"item": "A4", "quantity": 12, "unit_price": "30"}], "base_fee": "100", "postage": "140"}}
TO_PROCESSING = [(REQ, "ORDER", {}), (LEN, "RECEIVE", {})]
TO_ARRIVED = TO_PROCESSING + [(LEN, "SEND", FEES), (REQ, "RECEIVE", {})]
TO_ON_LOAN = TO_ARRIVED + [(REQ, "BORROW", {})]
TO_RENEWAL = TO_ON_LOAN + [(REQ, "RENEW", {"comment": "更新をお願いします (please renew)"})]
TO_RETURNED = TO_ON_LOAN + [(REQ, "SENDBACK", {})]
TO_INQUIRY = TO_PROCESSING + [(LEN, "INQUIRE", {"comment": "参照不完: 巻号をご確認ください"})]
TO_CLAIM = TO_ARRIVED + [(REQ, "CLAIM", {"comment": "p.150が欠落しています (page 150 missing)"})]
PATHS = {
    "PREPARING": [],
    "UNPROCESSED": [(REQ, "ORDER", {})],
    "PROCESSING": TO_PROCESSING,
    "NEW_INQUIRY": TO_INQUIRY,
    "INQUIRY": TO_INQUIRY + [(REQ, "RECEIVE", {})],
    "AWAITING_ANSWER": TO_INQUIRY + [(REQ, "RECEIVE", {}), (REQ, "ANSWER", {"comment": "62巻3号です (vol. 62 no. 3)"})],
    "SHIPPED": TO_PROCESSING + [(LEN, "SEND", FEES)],
    "ARRIVED": TO_ARRIVED,
    "CONFIRMED": TO_ARRIVED + [(REQ, "OK", {})],
    "CLAIM_PENDING": TO_CLAIM,
    "CLAIM_ANSWERED": TO_CLAIM + [(LEN, "RECEIVE", {}), (LEN, "ANSWER", {"comment": "欠落ページを送付しました"})],
    "ON_LOAN": TO_ON_LOAN,
    "RENEWAL_REQUESTED": TO_RENEWAL,
    "RETURNED": TO_RETURNED,
    "RETURN_PROCESSING": TO_RETURNED + [(LEN, "RECEIVE", {})],
    "RETURN_CLAIM": TO_RENEWAL + [(LEN, "RECEIVE", {}), (LEN, "CLAIM", {"comment": "更新可"})],
    "RETURN_CONFIRMED": TO_RETURNED + [(LEN, "RECEIVE", {}), (LEN, "OK", {})],
    "CANCELLED": [(REQ, "CANCEL", {"comment": "利用者が取り下げ (withdrawn by the user)"})],
}
LOAN_ONLY = {"ON_LOAN", "RENEWAL_REQUESTED", "RETURNED", "RETURN_PROCESSING", "RETURN_CLAIM", "RETURN_CONFIRMED"}
COPY_ONLY = {"CONFIRMED"}
PAIRS = [("alice", "FA000002"), ("carol", "FA000001"), ("grace", "FA000002"), ("carol", "FA000004")]

# Patrons of every library: with e-mail, mobile and SMS consent, some without, in both languages.
PATRON_PREFIXES = {"FA000001": "HU", "FA000002": "TU", "FA000003": "KU", "FA000004": "QU",
                   "OCLC0001": "UM", "OCLC0002": "CU"}
DEMO_PATRONS = [  # name, group, e-mail user, mobile, language, consent method
    ("山田 花子", "graduate", "hanako.yamada", "090-1234-5601", "ja", "counter"),
    ("John Smith", "faculty", "john.smith", "080-2345-6702", "en", "form"),
    ("佐藤 一郎", "undergraduate", "ichiro.sato", None, "ja", None),
    ("鈴木 次郎", "staff", None, "070-3456-7803", "ja", None),
    ("Maria Garcia", "external", None, None, "en", None),
    ("高橋 美咲", "faculty", "misaki.takahashi", "090-4567-8904", "ja", "phone"),
]


def demo_loaded() -> bool:
    return db.session.scalar(select(User).where(User.username == "alice")) is not None


def _user_of(library_id: int) -> User:
    return db.session.scalar(select(User).where(User.library_id == library_id).order_by(User.id))


def _walk(record: Record, path) -> Record:
    for side, command, data in path:
        actor = _user_of(record.requester_id if side == REQ else record.lender_id)
        record = perform_command(actor, record.ill_id, command, dict(data))
    return record


def load_demo() -> list[tuple[str, str, str, str]]:
    """Load the demo once; returns (username, password, library, role) rows. Idempotent."""
    if demo_loaded():
        add_demo_patrons()  # a demo loaded before patrons existed gets them now
        return []
    for values in LIBRARIES:
        add_library(**values)
    with unit_of_work():
        for library in db.session.scalars(select(Library)):
            library.fee_defaults = [
                FeeDefault(kind="copy", groups=[{"item": "A4", "quantity": 10, "unit_price": "30"}],
                           base_fee=0, postage=140),
                FeeDefault(kind="loan", groups=[], base_fee=0, postage=520),
            ]
    for username, code, role in USERS:
        add_user(username, code, DEMO_PASSWORD, role)
    add_demo_patrons()
    count = 0
    for status, path in PATHS.items():
        kinds = ["loan"] if status in LOAN_ONLY else ["copy"] if status in COPY_ONLY else ["copy", "loan"]
        for kind in kinds:
            for requester, lender in PAIRS[: 2 if status not in ("UNPROCESSED", "SHIPPED", "PROCESSING") else 4]:
                title, article, volume, pages, year = TITLES[count % len(TITLES)]
                count += 1
                data = {
                    "kind": kind, "citation": {"title": title, "article": article, "volume": volume,
                                               "pages": pages, "year": year},
                    "client": {"name": f"利用者 {count:03d}", "type": ["教員 (faculty)", "大学院生 (graduate)", "学部生 (student)"][count % 3]},
                    "candidates": [{"library": lender, "location": "中央図書館 書庫", "call_number": f"0{count:02d}.7/N{count}"},
                                   {"library": "FA000003", "location": "本館"}],
                }
                if count % 3:  # two requests in three are for one of the library's patrons
                    data["client"] = {}
                    data["patron"] = demo_patron_number(_user(requester).library.code, count % len(DEMO_PATRONS))
                record = create_record(_user(requester), data)
                _walk(record, path)
                _spread_over_time(record, count)
    _special_cases()
    _demo_blocks()
    return [(u, DEMO_PASSWORD, c, r) for u, c, r in USERS]


# -- realistic dates ------------------------------------------------------------------
# The commands run today; afterwards each record's history is spread over the weeks
# before it, as a desk would have done the work: a day or three between steps, the
# latest step a few days ago, and loans out with the requester anchored so that some
# are overdue and some due soon (due = SDATE + the lender's loan period).
GAPS = [1, 2, 1, 3, 2, 1, 4, 2]
LAGS = [0, 1, 3, 6, 10, 15, 21, 30, 42]
DUE_IN = [-9, -2, 1, 3, 8, 17, -20, 12]  # days from today to DDATE for loans out


def _spread_over_time(record: Record, n: int) -> None:
    record = db.session.get(Record, record.id)
    today = portal_today()
    steps = [h for h in record.history if h.command != "SYSTEM"]
    offsets = [0]
    for i in range(1, len(steps)):
        offsets.append(offsets[-1] + GAPS[(n + i) % len(GAPS)])
    anchor, anchor_date = len(steps) - 1, today - timedelta(days=LAGS[n % len(LAGS)])
    sends = [i for i, h in enumerate(steps) if h.command == "SEND"]
    if item_out(record.kind, record.status, record.renewal_handling) and sends and record.lender:
        anchor = sends[-1]
        anchor_date = today + timedelta(days=DUE_IN[n % len(DUE_IN)] - record.lender.loan_days)
    days = [min(today, anchor_date + timedelta(days=o - offsets[anchor])) for o in offsets]
    with unit_of_work():
        _apply_step_dates(record, steps, days)


def _apply_step_dates(record: Record, steps, days: list[date]) -> None:
    zone = portal_zone()
    moment = {}
    spread: dict[str, date | None] = {}  # the dates this loop moved, as they stand before each step
    for index, (entry, day) in enumerate(zip(steps, days)):
        at = datetime.combine(day, time(9, 30), zone) + timedelta(minutes=17 * index)
        moment[entry.id] = entry.at = at.astimezone(timezone.utc)
        before = dict(spread)
        if entry.undo:  # CALLBACK of this step restores the spread dates, not the ones of the demo's run
            entry.undo = {name: (_iso(before.get(name)) if name in SPREAD_DATES else value)
                          for name, value in entry.undo.items()}
        for name, value in _step_dates(record, entry, day).items():
            setattr(record, name, value)
            spread[name] = value
        if entry.changes:  # what the history says the command changed: the spread dates
            entry.changes = {name: ({"from": _iso(before.get(name)), "to": _iso(spread[name])}
                                    if name in SPREAD_DATES and name in spread and change["to"] else change)
                             for name, change in entry.changes.items()}
    last = steps[0].at
    for entry in record.history:  # the portal's notes follow the step they belong to
        last = moment.get(entry.id, last)
        entry.at = last
    record.created_at, record.updated_at = steps[0].at, last


SPREAD_DATES = ("ordered_on", "accepted_on", "sent_on", "due_on", "received_on", "sent_back_on", "return_received_on")


def _step_dates(record: Record, entry, day: date) -> dict[str, date]:
    """The dates a step of the demo's history sets when it happens on `day`."""
    command, source = entry.command, entry.from_status
    due = {"due_on": day + timedelta(days=record.lender.loan_days)} if record.kind == "loan" and record.lender else {}
    if command == "ORDER":
        return {"ordered_on": day}
    if command == "RECEIVE":
        return {"UNPROCESSED": {"accepted_on": day}, "SHIPPED": {"received_on": day},
                "RETURNED": {"return_received_on": day}}.get(source, {})
    if command == "SEND":
        return {"sent_on": day, **due}
    if command == "SENDBACK":
        return {"sent_back_on": day}
    if command == "CLAIM" and source == "RETURN_PROCESSING":  # 更新可: a new due date
        return due
    return {}


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def _special_cases() -> None:
    """Forwarding, a decline by all lenders, and an OCLC request."""
    alice = _user("alice")
    forwarded = create_record(alice, {"kind": "loan", "citation": {"title": "国史大辞典 第5巻"},
                                      "candidates": [{"library": "FA000003"}, {"library": "FA000002"}]})
    _walk(forwarded, [(REQ, "ORDER", {})])  # FA000003 lends nothing: forwarded by the system
    declined = create_record(alice, {"kind": "copy", "citation": {"title": "幻の紀要", "article": "存在しない論文"},
                                     "candidates": [{"library": "FA000002"}]})
    _walk(declined, TO_PROCESSING + [(LEN, "PARDON", {"comment": "未所蔵 (not held)"})])
    oclc = create_record(_user("ivan"), {"kind": "copy", "citation": {"title": "Nature", "article": "Deep learning",
                                                                     "volume": "521", "pages": "436-444", "year": "2015"},
                                         "candidates": [{"library": "OCLC0002"}]})
    _walk(oclc, TO_PROCESSING)


def demo_patron_number(library_code: str, index: int) -> str:
    return f"{PATRON_PREFIXES[library_code]}{index + 1:04d}"


def add_demo_patrons() -> int:
    """The demo patrons of each demo library that are missing (safe to run twice)."""
    added = 0
    for code, prefix in PATRON_PREFIXES.items():
        library = db.session.scalar(select(Library).where(Library.code == code))
        manager = db.session.scalar(select(User).where(User.library_id == library.id, User.role == "manager")
                                    .order_by(User.id)) if library else None
        if manager is None:
            continue
        domain = library.email.split("@", 1)[-1] if "@" in library.email else "example.jp"
        for index, (name, group, mail, mobile, language, consent) in enumerate(DEMO_PATRONS):
            number = demo_patron_number(code, index)
            if find_patron(library.id, number) is not None:
                continue
            data = {"number": number, "name": name, "group": group, "language": language,
                    "email": f"{mail}@{domain}" if mail else None, "mobile": mobile}
            if consent:
                data["sms_consent"] = {"method": consent}
            create_patron(manager, data)
            added += 1
    return added
def _demo_blocks() -> None:
    """A blocked patron at FA000001 and a partner (FA000004) that FA000002 blocks for late returns."""
    from datetime import timedelta

    from . import portal_today
    from .blocks import create_block
    from .patrons import create_patron, find_patron

    alice, carol = _user("alice"), _user("carol")
    patron = find_patron(alice.library_id, "BLK-0001") or create_patron(
        alice, {"number": "BLK-0001", "name": "延滞 太郎 (Taro Entai)", "group": "undergraduate"})
    create_block(alice, {"patron": patron.number, "definition": "SUSPENDED",
                         "note": "罰金未納 (unpaid fine)",
                         "expires": (portal_today() + timedelta(days=30)).isoformat()})
    create_block(carol, {"library": "FA000004", "definition": "OVERDUE",
                         "note": "貸出資料の返却遅延 3 件 (3 loans returned late)",
                         "expires": (portal_today() + timedelta(days=21)).isoformat()})
