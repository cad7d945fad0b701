"""Several workers: each notice is sent exactly once; a worker killed mid-batch loses nothing.
Real processes and threads with their own database connections, a real SMTP server."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Notice, NoticeEvent
from portal.models.types import utcnow
from portal.services.notices.outbox import Draft, write
from portal.services.notices.worker import Worker

ROOT = Path(__file__).resolve().parents[2]


def queue_emails(world, count: int) -> None:
    library = world.libraries["R"]
    write([Draft(library_id=library.id, type="MANUAL", channel="email", recipient=f"p{n:04d}@example.jp",
                 language="ja", subject=f"お知らせ {n}", body=f"本文 {n}", dedup=False) for n in range(count)])
    db.session.commit()


def sent_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Notice).where(Notice.status == "sent"))


def test_two_workers_send_each_notice_exactly_once(world, smtp_app, smtp_server):
    queue_emails(world, 500)
    results = {}

    def work(name):
        with smtp_app.app_context():
            results[name] = Worker.from_config(batch=25).run(once=True)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sum(results.values()) == 500
    assert all(count > 0 for count in results.values()), results  # both took part
    received = Counter(r.rcpt_tos[0] for r in smtp_server.wait_for(500))
    assert len(received) == 500 and set(received.values()) == {1}
    assert sent_count() == 500
    claims = db.session.scalars(select(func.count()).select_from(NoticeEvent).where(NoticeEvent.status == "sending")
                                .group_by(NoticeEvent.notice_id)).all()
    assert set(claims) == {1}  # no notice was ever claimed twice


def test_a_worker_killed_mid_batch_loses_nothing(world, smtp_app, smtp_server, app):
    queue_emails(world, 120)
    smtp_server.delay = 0.02
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_server.port), "NOTICE_LEASE_SECONDS": "2",
           "NOTICE_BATCH": "20", "SECRET_KEY": "a-test-secret-of-32-characters!!", "MAIL_DEFAULT_SENDER": "ill@portal.example.ac.jp"}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "portal", "notices", "work"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while len(smtp_server.received) < 30 and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.02)
        assert len(smtp_server.received) >= 30, worker.stdout.read().decode() if worker.poll() is not None else ""
        worker.send_signal(signal.SIGKILL)  # no clean-up at all
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.stdout.close()
    db.session.expire_all()
    stranded = db.session.scalar(select(func.count()).select_from(Notice).where(Notice.status == "sending"))
    assert stranded > 0  # the killed worker held claims
    smtp_server.delay = 0
    survivor = Worker.from_config()
    survivor.run(once=True, now=lambda: utcnow() + timedelta(seconds=3))  # after its lease expired
    assert sent_count() == 120
    received = Counter(r.rcpt_tos[0] for r in smtp_server.wait_for(120))
    assert len(received) == 120  # every notice arrived
    assert sum(received.values()) - 120 <= 1  # at most the one in flight when killed went twice
    expired = db.session.scalar(select(func.count()).select_from(NoticeEvent).where(
        NoticeEvent.detail.like("%lease expired%")))
    assert expired == stranded
