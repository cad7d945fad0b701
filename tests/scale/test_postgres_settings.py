"""The portal's PostgreSQL connections: JIT compilation off (a start-up option), the connect time-out,
and the options a deployment gives in its URL kept."""
import pytest
from sqlalchemy import text

from portal import create_app, postgres_connect_args
from portal.config import TestConfig
from portal.extensions import db


@pytest.mark.parametrize("url, given, expected", [
    ("postgresql+psycopg://u@h/db", None, {"connect_timeout": 5, "options": "-c jit=off"}),
    ("postgresql+psycopg://u@h/db?options=-c%20statement_timeout%3D5000", None,
     {"connect_timeout": 5, "options": "-c jit=off -c statement_timeout=5000"}),
    ("postgresql+psycopg://u@h/db", {"connect_timeout": 2, "options": "-c jit=on"},
     {"connect_timeout": 2, "options": "-c jit=off -c jit=on"}),  # the deployment's own word comes last: it wins
])
def test_connect_args(url, given, expected):
    assert postgres_connect_args(url, given) == expected


def test_portal_connections_to_postgresql_do_not_jit_compile(database_urls):
    urls, _created = database_urls
    assert "postgresql" in urls, "the PostgreSQL server of the test session"
    app = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": urls["postgresql"]})
    with app.app_context():
        try:
            assert db.session.scalar(text("SHOW jit")) == "off"
            assert db.session.scalar(text("SHOW jit_above_cost")) is not None  # the server has JIT settings
        finally:
            db.session.remove()
            db.engine.dispose()

