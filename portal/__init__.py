"""ILL portal: create_app() wires configuration, extensions, blueprints and CLI."""
from __future__ import annotations

import gc
import os

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .config import Config
from .database import init_database
from .extensions import babel, csrf, db, login_manager, mail, migrate


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(Config)
    if test_config:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    from .security import configure_secret_key
    configure_secret_key(app)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "portal.sqlite")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("postgres://"):  # the Heroku-style spelling
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + url[len("postgresql://"):]

    from .web.converters import AsciiIntConverter
    app.url_map.converters["int"] = AsciiIntConverter  # before any route is added

    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    ping_when_needed = False
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options["connect_args"] = postgres_connect_args(app.config["SQLALCHEMY_DATABASE_URI"],
                                                        options.get("connect_args"))
        # the ping before every checkout becomes a ping only when a connection may be stale (database.py)
        ping_when_needed = bool(options.pop("pool_pre_ping", False))

    if not app.config.get("MAIL_BACKEND"):  # no SMTP server: e-mail notices go to files (the demo works offline)
        app.config["MAIL_BACKEND"] = "smtp" if app.config.get("MAIL_SERVER") else "file"
    if not app.config.get("MAIL_FILE_PATH"):
        app.config["MAIL_FILE_PATH"] = os.path.join(app.instance_path, "mail")

    db.init_app(app)
    init_database(app, db, ping_when_needed)
    mail.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, directory=os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    from .web.i18n import install_template_gettext, select_locale, select_timezone
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    install_template_gettext(app)

    from . import models  # noqa: F401  (register the tables)
    from .services import search_index, tallies  # noqa: F401  (the search index's flush hooks; create_all's tally triggers)
    from .api import bp as api_bp
    from .cli import register_cli

    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # bearer tokens, no cookies: CSRF does not apply
    register_cli(app)

    from .web import init_web
    init_web(app)
    from .guard import init_guard
    init_guard(app)
    from .security import init_security
    init_security(app)
    if not app.testing:
        # What is made by now (modules, mappers, the URL map, the Jinja environment) lives as long as
        # the process: freeze it out of the garbage collector's generations, so that a full collection
        # walks what requests made (and a request it falls into does not wait ~100 ms for 200,000
        # objects). Measured on the record page: p50 10.5 -> 8.4 ms, p95 16.4 -> 13.5 ms.
        gc.freeze()
    return app


def postgres_connect_args(url: str, connect_args: dict | None = None) -> dict:
    """The portal's PostgreSQL connection settings, besides those given.

    - `connect_timeout` 5 s: an unreachable host fails in seconds.
    - `jit=off`, sent as a start-up option (libpq's `options`, no extra round trip): the portal's
      statements are short index lookups, but the planner's cost estimate of a search over a
      million records passes `jit_above_cost` and PostgreSQL spent more time compiling the
      statement (280 ms) than running it. The options of the URL or of `connect_args` come after
      it, so an explicit `-c jit=on` there still wins.
    """
    from sqlalchemy.engine import make_url

    args = dict(connect_args or {})
    args.setdefault("connect_timeout", 5)
    given = args.get("options") or make_url(url).query.get("options") or ""
    if isinstance(given, tuple):
        given = " ".join(given)
    args["options"] = " ".join(part for part in ("-c jit=off", given) if part)
    return args


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys, let readers and one writer work together."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
