"""The demo's patrons: per demo library, with and without e-mail, mobile and
consent, in both languages, some requests linked; safe to run twice."""
from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Library, Patron, PatronConsent, Record
from portal.services.demo import add_demo_patrons


def test_demo_patrons(runner, ctx):
    assert runner.invoke(args=["demo"]).exit_code == 0
    for library in db.session.scalars(select(Library)):
        patrons = db.session.scalars(select(Patron).where(Patron.library_id == library.id)).all()
        assert len(patrons) >= 5, library.code
        assert {p.language for p in patrons} == {"ja", "en"}
        assert any(p.sms_consent and p.mobile and p.email for p in patrons)
        assert any(not p.email and not p.mobile for p in patrons)
        assert any(p.mobile and not p.sms_consent for p in patrons)
        assert all(p.mobile is None or p.mobile.startswith("+81") for p in patrons)
    linked = db.session.scalars(select(Record).where(Record.patron_id.is_not(None))).all()
    assert len(linked) >= 10
    assert all(r.patron.library_id == r.requester_id and r.client_name == r.patron.name for r in linked)
    counts = (db.session.scalar(select(func.count(Patron.id))), db.session.scalar(select(func.count(PatronConsent.id))))
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert add_demo_patrons() == 0
    db.session.expire_all()
    assert (db.session.scalar(select(func.count(Patron.id))),
            db.session.scalar(select(func.count(PatronConsent.id)))) == counts
