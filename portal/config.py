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
    # Rows of one bulk run (the API's bulk endpoint and the bulk pages); a bulk page lists at most this many.
    BULK_MAX_ROWS = int(os.environ.get("BULK_MAX_ROWS", "500"))
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
    # Notices (shared/spec/api.md): links in notices, e-mail through SMTP, the SMS backend.
    PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:5000")
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None  # unset: e-mail goes to files in instance/mail
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND") or None  # smtp (with MAIL_SERVER) or file; set in create_app
    MAIL_FILE_PATH = os.environ.get("MAIL_FILE_PATH") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "").lower() in ("1", "true", "yes")
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "").lower() in ("1", "true", "yes")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "ill-portal@localhost")
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", "20"))
    SMS_BACKEND = os.environ.get("SMS_BACKEND", "console")  # http | file | console
    SMS_HTTP_URL = os.environ.get("SMS_HTTP_URL", "")
    SMS_HTTP_TOKEN = os.environ.get("SMS_HTTP_TOKEN", "")  # also the token delivery receipts must carry
    SMS_HTTP_TIMEOUT = float(os.environ.get("SMS_HTTP_TIMEOUT", "10"))
    SMS_SENDER = os.environ.get("SMS_SENDER", "ILL")
    SMS_FILE_DIR = os.environ.get("SMS_FILE_DIR", "")  # default: instance/sms
    SMS_SCHEDULE_MINUTES = int(os.environ.get("SMS_SCHEDULE_MINUTES", "10"))  # SMSLINK takes times in 10 minutes
    NOTICE_MAX_ATTEMPTS = int(os.environ.get("NOTICE_MAX_ATTEMPTS", "6"))
    NOTICE_RETRY_SECONDS = int(os.environ.get("NOTICE_RETRY_SECONDS", "60"))  # first wait; doubles each time
    NOTICE_LEASE_SECONDS = int(os.environ.get("NOTICE_LEASE_SECONDS", "120"))  # a claim expires after this
    NOTICE_BATCH = int(os.environ.get("NOTICE_BATCH", "50"))  # notices a worker claims at once
    NOTICE_POLL_SECONDS = float(os.environ.get("NOTICE_POLL_SECONDS", "5"))


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test"
    # scrypt costs ~0.13 s per user and a test world makes seven; not what tests are about
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1"
    SLIP_PROCESSES = 0  # the tests of big batches turn the helpers on
    MAIL_SERVER = None
    MAIL_BACKEND = "locmem"  # tests that look at e-mail use a real SMTP server or a file folder of their own
    SMS_BACKEND = "console"
    PORTAL_BASE_URL = "https://ill.example.ac.jp"
