"""Staff pages: blueprints, log-in, template helpers and error pages."""
from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, jsonify, redirect, render_template, request, url_for
from markupsafe import escape
from flask_login import current_user, login_required
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from ..extensions import db, login_manager
from ..services.search import counts_of_tallies
from ..services.users import SESSION_USER, SESSION_USER_AND_TALLIES
from ..workflow.numbers import MAX_INT, parse_int
from . import i18n, labels, outage
from .counts import remember_status_counts
from .htmx import is_htmx


@login_required
def require_login():
    return None


def init_web(app: Flask) -> None:
    login_manager.login_view = "auth.login"

    @login_manager.user_loader
    def load_user(session_id: str):
        """The session's user, if the session is still current (see User.session_epoch)."""
        user_id, _, epoch = session_id.partition(".")
        pk = parse_int(user_id, 1, MAX_INT)
        if pk is None or parse_int(epoch) is None:
            return None
        # with its library (every page names it), and for a GET with the library's status tallies too, in
        # the same statement: the header counts them, and no GET changes a status (after a command,
        # counts read before it would be stale)
        reads_a_page = request.method in ("GET", "HEAD")
        if reads_a_page:
            user, tallies = db.session.execute(SESSION_USER_AND_TALLIES, {"pk": pk}).one_or_none() or (None, None)
        else:
            user = db.session.scalar(SESSION_USER, {"pk": pk})
        if user is None or not user.active or str(user.session_epoch) != epoch:
            return None  # logged out elsewhere, password changed, or deactivated
        if reads_a_page:
            remember_status_counts(user.library_id, counts_of_tallies(tallies))
        return user

    @login_manager.unauthorized_handler
    def unauthorized():
        target = url_for("auth.login", next=request.full_path if request.query_string else request.path)
        if is_htmx():  # a fragment request after the session ended: reload as a page
            return "", 401, {"HX-Redirect": target}
        return redirect(target)

    from .auth import bp as auth_bp
    from .blocks import bp as blocks_bp
    from .bulk import bp as bulk_bp
    from .help import bp as help_bp
    from .main import bp as main_bp
    from .notices import bp as notices_bp
    from .notices import public as notice_links_bp
    from .patrons import bp as patrons_bp
    from .records import bp as records_bp
    from .settings import bp as settings_bp

    staff_pages = (main_bp, records_bp, settings_bp, bulk_bp, help_bp, patrons_bp, notices_bp, blocks_bp)
    # notice_links: the SMS opt-out and click links (no log-in); outage: /healthz
    for blueprint in (auth_bp, outage.bp, notice_links_bp, *staff_pages):
        app.register_blueprint(blueprint)
    needs_login = {blueprint.name for blueprint in staff_pages}

    @app.before_request
    def every_staff_page_needs_a_login():
        if request.blueprint in needs_login:
            return require_login()
        return None

    register_template_helpers(app)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if request.path.startswith("/api/"):
            headers = {"Allow": ", ".join(error.valid_methods)} if getattr(error, "valid_methods", None) else {}
            return (jsonify({"error": API_ERROR_CODES.get(error.code, "invalid"), "message": error.description}),
                    error.code, headers)
        return error_page(error), error.code

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        if outage.is_database_outage(error):
            return database_unavailable(error)
        app.logger.exception("unhandled error")
        if request.path.startswith("/api/"):
            return jsonify({"error": "server_error", "message": "An internal error occurred."}), 500
        return error_page(None), 500


API_ERROR_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                   413: "too_large", 503: "unavailable"}


def database_unavailable(error: Exception):
    """503 with Retry-After while the database cannot be reached: a clear "try again", no 500."""
    current_app.logger.warning("database unavailable (%s): %s", request.path, outage.summary(error))
    page_without_database()
    retry = {"Retry-After": str(current_app.config["DATABASE_RETRY_AFTER"])}
    if request.path.startswith("/api/"):
        return jsonify({"error": "unavailable",
                        "message": "The database cannot be reached just now; try again in a few seconds."}), 503, retry
    return error_page(ServiceUnavailable()), 503, retry


def page_without_database() -> None:
    """What the page renders next must not touch the database: the layout leaves out the
    signed-in parts (see base.html) and the user counts as not loaded (Flask-Login's template
    context would load them)."""
    outage.forget_failed_transaction()
    g.database_down = True
    g._login_user = login_manager.anonymous_user()


def error_page(error: HTTPException | None) -> str:
    """The error inside the portal's layout; the layout without the signed-in parts if the
    full one fails (the database went away); plain text only if even that fails."""
    try:
        return render_template("error.html", error=error)
    except Exception:  # noqa: BLE001 - the error page must not raise
        current_app.logger.warning("error page without the signed-in layout", exc_info=True)
    page_without_database()
    try:
        return render_template("error.html", error=error)
    except Exception:  # noqa: BLE001 - the last resort must not raise
        current_app.logger.exception("error page failed")
        return escape(error.description if error else "An internal error occurred.")


def register_template_helpers(app: Flask) -> None:
    from ..services.archive import offers_copy
    from ..services.blocks import blocked_partner_ids, blocked_patron_ids, lenders_blocking
    from .counts import queue_totals_once
    from .rows import head_cells, page_rows
    from .timeline import history_items
    from ..workflow.due import due_state
    from ..workflow.statuses import Status

    app.jinja_env.filters.update(
        status_label=i18n.status_label,
        local_date=i18n.local_date,
        local_date_of=i18n.local_date_of,
        local_datetime=i18n.local_datetime,
        money=i18n.money,
    )

    def due_state_of(record, today) -> str | None:
        """'overdue' / 'due_soon' for the signed-in library's setting (None: neither)."""
        soon = current_user.library.due_soon_days if current_user.is_authenticated else 3
        return due_state(record.kind, record.status, record.renewal_handling, record.due_on, today, soon)

    def queue_of(code: str) -> str:
        try:
            return Status(code).queue.value
        except ValueError:
            return "final"

    def notices_of_record(record) -> list:
        """The record's notices of the caller's own library (record page panel)."""
        from ..services.notices.manage import record_notices

        if not current_user.is_authenticated:
            return []
        return record_notices(current_user.library_id, record)

    def notices_of_patron(patron) -> list:
        """A patron's notices, for the patron page (own library only)."""
        from ..services.notices.manage import NoticeFilters, list_notices

        if not current_user.is_authenticated or patron.library_id != current_user.library_id:
            return []
        return list_notices(current_user.library_id, NoticeFilters(patron=patron.number), limit=50)[0]

    def blocks_of_patron(patron) -> list:
        """A patron's blocks, active first, for the patron page's Blocks tab (own library only)."""
        from ..services.blocks import blocks_for_patron

        if not current_user.is_authenticated or patron.library_id != current_user.library_id:
            return []
        return blocks_for_patron(current_user.library_id, patron.id)

    def block_definitions() -> list:
        """The definitions staff may choose for a manual block."""
        from ..services.blocks import manual_definitions

        return manual_definitions(current_user.library_id) if current_user.is_authenticated else []

    app.jinja_env.globals.update(notices_of_record=notices_of_record, notices_of_patron=notices_of_patron,
                                 blocks_of_patron=blocks_of_patron, block_definitions=block_definitions)

    built_urls: dict[tuple, str] = {}

    def template_url_for(endpoint: str, **values) -> str:
        """url_for for the templates. Every page links to the same dozen routes without parameters and
        static files (the header, the navigation): each such URL is built once per script root, as
        url_for would build it (the portal sets no URL defaults); any other URL is built each time."""
        plain = values.keys() == ({"filename"} if endpoint == "static" else set())
        if not plain or not has_request_context():
            return url_for(endpoint, **values)
        key = (request.script_root, endpoint, values.get("filename"))
        url = built_urls.get(key)
        if url is None:
            url = url_for(endpoint, **values)
            if len(built_urls) < 500:  # a few dozen in practice; never grown by what requests send
                built_urls[key] = url
        return url

    # Globals, not a context processor, so that imported macros see them too.
    app.jinja_env.globals.update(
        url_for=template_url_for,
        database_down=lambda: bool(g.get("database_down")),
        current_language=i18n.language, status_label=i18n.status_label,
        queue_of=queue_of, offers_copy=offers_copy, due_state_of=due_state_of,
        role_label=labels.role_label, role_options=lambda codes: labels.options(codes, labels.ROLES),
        slip_size_options=lambda codes: labels.options(codes, labels.SLIP_SIZES), language_names=labels.LANGUAGES,
        system_note=labels.system_note, notice_type_label=labels.notice_type_label,
        my_queue_totals=lambda: queue_totals_once(current_user.library_id) if current_user.is_authenticated else None,
        page_rows_of=lambda page, library_id, today, copy_action=False: page_rows(
            page, library_id, today, current_user.library.due_soon_days, copy_action),
        history_items=history_items, head_cells=head_cells,
        # block marks: which of these partner libraries / patrons the user's library sees as blocked (one query)
        blocked_partners=lambda ids: blocked_partner_ids(current_user.library_id, ids),
        blocked_patrons=lambda ids: blocked_patron_ids(current_user.library_id, ids),
        lenders_blocking_me=lambda libraries: lenders_blocking(current_user.library_id, [lib.id for lib in libraries]),
    )
