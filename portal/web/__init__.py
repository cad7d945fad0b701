"""Staff pages: blueprints, log-in and error pages."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from ..extensions import db, login_manager
from ..models import User


def init_web(app: Flask) -> None:
    login_manager.login_view = "auth.login"

    @login_manager.user_loader
    def load_user(user_id: str):
        return db.session.get(User, int(user_id)) if user_id.isdigit() else None

    from .auth import bp as auth_bp
    from .main import bp as main_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(main_bp)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if request.path.startswith("/api/"):
            code = {401: "unauthorized", 403: "forbidden", 404: "not_found"}.get(error.code, "invalid")
            return jsonify({"error": code, "message": error.description}), error.code
        return render_template("error.html", error=error), error.code

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        app.logger.exception("unhandled error")
        if request.path.startswith("/api/"):
            return jsonify({"error": "server_error", "message": "An internal error occurred."}), 500
        return render_template("error.html", error=None), 500
