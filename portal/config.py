"""Configuration read from the environment (microblog's Config / TestConfig)."""
import os


class Config:
    # No default: create_app() refuses to start without a real secret (portal/security.py).
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    SECRET_KEY_FILE = os.environ.get("SECRET_KEY_FILE")  # else instance/secret_key
    # None means: an SQLite file in the instance folder (set in create_app).
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    # A pooled connection is pinged before use: after a database restart the stale ones are
    # replaced instead of failing a request each (create_app adds a connect time-out for PostgreSQL).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    DATABASE_RETRY_AFTER = int(os.environ.get("DATABASE_RETRY_AFTER", "5"))  # seconds, in 503 answers
    PORTAL_TIMEZONE = os.environ.get("PORTAL_TIMEZONE", "Asia/Tokyo")
    ARCHIVE_AFTER_DAYS = int(os.environ.get("ARCHIVE_AFTER_DAYS", "183"))
    PAGE_SIZE = 50
    LANGUAGES = ["ja", "en"]
    BABEL_DEFAULT_LOCALE = "ja"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Behind N reverse proxies that set X-Forwarded-For/-Proto/-Host: trust that many (ProxyFix);
    # 0 (default) trusts none. Over HTTPS the session cookie is Secure and HSTS is sent.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "") in ("1", "true")
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # Bodies over this many bytes get 413 (a bulk page of 500 rows posts well under 1 MB).
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(2 * 1024 * 1024)))
    WTF_CSRF_TIME_LIMIT = None  # a desk page stays open all day
    PASSWORD_HASH_METHOD = "scrypt"
    # Failed log-ins allowed per user name and per client address within the window (seconds);
    # an office behind one NAT address shares the address limit, hence the higher number.
    LOGIN_FAILURES_PER_USER = int(os.environ.get("LOGIN_FAILURES_PER_USER", "5"))
    LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "30"))
    LOGIN_FAILURE_WINDOW = int(os.environ.get("LOGIN_FAILURE_WINDOW", "900"))
    # Helper processes that render parts of a big slip batch (services.slip_pool), per web
    # worker: one per further CPU, at most three; 0 renders everything in the web worker.
    SLIP_PROCESSES = min(int(os.environ.get("SLIP_PROCESSES", min(max((os.cpu_count() or 1) - 1, 0), 3))), 16)


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test"
    # scrypt costs ~0.13 s per user and a test world makes seven; not what tests are about
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1"
    SLIP_PROCESSES = 0  # the tests of big batches turn the helpers on
