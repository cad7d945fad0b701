"""Helpers for the notice tests: patrons (through the patrons interface of COMMON.md)
and records linked to them, brought to a status by the real commands."""
from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import Notice, Record
from portal.models.patron import Patron, PatronConsent
from portal.services.demo import PATHS
from portal.services.records import create_record, perform_command


def make_patron(world, code="R", number="P001", name="山田 花子", email="hanako@example.jp",
                mobile="+819012345678", language="ja", consent=True) -> Patron:
    library = world.libraries[code]
    patron = Patron(library_id=library.id, number=number, name=name, group="graduate", email=email, mobile=mobile,
                    language=language, active=True)
    db.session.add(patron)
    db.session.flush()
    if consent:
        db.session.add(PatronConsent(patron_id=patron.id, channel="sms", action="given", method="form",
                                     wording="SMSで通知を受け取ることに同意します", recorded_by_id=world.users[code].id))
    db.session.commit()
    return patron


def record_for(world, patron, status="PREPARING", kind="loan", requester="R", candidates=("L1", "L2"), **data):
    payload = {"kind": kind, "citation": {"title": "日本図書館情報学会誌", "article": "ILLの研究"},
               "candidates": [{"library": c} for c in candidates], **data}
    record = create_record(world.users[requester], payload)
    if patron is not None:
        record.patron_id = patron.id
        db.session.commit()
    for side, command, extra in PATHS[status]:
        code = world.code_of(record.requester_id if side == "requester" else record.lender_id)
        record = perform_command(world.users[code], record.ill_id, command, dict(extra))
    assert record.status == status
    return record


def notices(**where) -> list[Notice]:
    db.session.expire_all()
    query = select(Notice).order_by(Notice.id)
    for name, value in where.items():
        query = query.where(getattr(Notice, name) == value)
    return list(db.session.scalars(query))


def reload(record) -> Record:
    db.session.expire_all()
    return db.session.get(Record, record.id)
