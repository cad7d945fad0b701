"""Flask extensions, created unbound and initialised in create_app()."""
from flask_babel import Babel
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from .database import PortalSession


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base, session_options={"class_": PortalSession})  # see portal.database
migrate = Migrate()
login_manager = LoginManager()
# Flask-Login's "basic" session protection writes `_fresh = False` into any session whose client
# looks new, an anonymous one included. A request still in flight with the cookie from before
# log-in (the browser's favicon fetch) then answered with that cookie and overwrote the log-in.
# The portal never asks for a fresh log-in, so the protection guarded nothing here.
login_manager.session_protection = None
csrf = CSRFProtect()
babel = Babel()
mail = Mail()  # e-mail notices (services.notices.channels)
