"""Configuration read from the environment (microblog's Config / TestConfig)."""
import os


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-change-me")
    # None means: an SQLite file in the instance folder (set in create_app).
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    PORTAL_TIMEZONE = os.environ.get("PORTAL_TIMEZONE", "Asia/Tokyo")
    ARCHIVE_AFTER_DAYS = int(os.environ.get("ARCHIVE_AFTER_DAYS", "183"))
    PAGE_SIZE = 50
    # Rows of one bulk run (the API's bulk endpoint and the bulk pages); a bulk page lists at most this many.
    BULK_MAX_ROWS = int(os.environ.get("BULK_MAX_ROWS", "500"))
    LANGUAGES = ["ja", "en"]
    BABEL_DEFAULT_LOCALE = "ja"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # a desk page stays open all day
    PASSWORD_HASH_METHOD = "scrypt"
    # Helper processes that render parts of a big slip batch (services.slip_pool), per web
    # worker: one per further CPU, at most three; 0 renders everything in the web worker.
    SLIP_PROCESSES = min(int(os.environ.get("SLIP_PROCESSES", min(max((os.cpu_count() or 1) - 1, 0), 3))), 16)


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test"
    # scrypt costs ~0.13 s per user and a test world makes seven; not what tests are about
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1"
    SLIP_PROCESSES = 0  # the tests of big batches turn the helpers on
