"""Configuration: defaults, then ``TOUCHBASE_*`` environment variables, then test overrides."""

from __future__ import annotations

import math
import os
import secrets
from pathlib import Path

from flask import Flask


class Defaults:
    """Development defaults; everything can be overridden by a ``TOUCHBASE_`` variable."""

    ENV = "development"
    SQLALCHEMY_DATABASE_URI = None  # set from the instance folder when not configured
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30
    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session (offline replays)
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ("en", "de")
    # Production cookie names: the ``__Host-`` prefix makes browsers insist on Secure, Path=/ and
    # no Domain, so no subdomain can plant or read them (OWASP ASVS 3.4).
    PRODUCTION_SESSION_COOKIE_NAME = "__Host-touchbase"
    PRODUCTION_REMEMBER_COOKIE_NAME = "__Host-touchbase-remember"
    # Rate limits: in memory per process by default; set TOUCHBASE_RATELIMIT_STORAGE_URI to a
    # redis:// URL so that every gunicorn worker and instance counts together.
    RATELIMIT_STORAGE_URI = "memory://"
    # Production refuses per-process (memory://) limits: under gunicorn's several workers each
    # would count on its own. Set this only when one single process serves the app.
    RATELIMIT_SINGLE_PROCESS = False
    RATELIMIT_KEY_PREFIX = "touchbase"
    RATELIMIT_HEADERS_ENABLED = True
    # Redis down: log it and let requests through rather than answer every sign-in with a 500.
    RATELIMIT_SWALLOW_ERRORS = True
    LOGIN_RATE_LIMIT = "10 per minute; 50 per hour"  # per client address; also joining a team
    LOGIN_ACCOUNT_RATE_LIMIT = "10 per minute; 30 per hour"  # per e-mail address tried, from anywhere
    REGISTER_RATE_LIMIT = "5 per minute; 20 per hour"  # per client address
    TOKEN_RATE_LIMIT = "10 per minute; 50 per day"  # nosec B105  # a rate limit: API tokens made, per user
    INVITE_RATE_LIMIT = "10 per minute; 100 per day"  # invite links made, per coach
    # Calendar feeds: per feed (a calendar app polls every hour or so) and per client address.
    CALENDAR_RATE_LIMIT = "6 per minute; 120 per hour"
    CALENDAR_ADDRESS_RATE_LIMIT = "300 per minute"
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto to trust (0: none).
    TRUSTED_PROXIES = 0
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    # Part of every page ETag, so that a new release never answers 304 to a page of the old
    # one; by default a hash of the code, templates, translations and static files.
    RELEASE = None
    CSV_MAX_ROWS = 5000
    # Customer pages a device keeps per user for reading offline (the most recently opened).
    OFFLINE_PAGES = 50
    INVITE_DAYS = 7
    UNDO_SECONDS = 10
    DEMO_PASSWORD = "touchbase-demo"  # nosec B105  # the demo accounts' password, printed by `flask demo seed`
    # Web push. The private key is PEM text or base64url (raw 32 bytes or DER); in development a
    # key pair is made once in the instance folder. The public key is derived when not given.
    VAPID_PRIVATE_KEY = None
    VAPID_PUBLIC_KEY = None
    # Push services reject a ``sub`` on localhost; set your own contact address in production.
    VAPID_SUBJECT = "mailto:reminders@touchbase-app.net"
    # Hosts a subscription endpoint may point at; a leading dot allows subdomains only.
    PUSH_ENDPOINT_HOSTS = [
        "fcm.googleapis.com",
        "updates.push.services.mozilla.com",
        "web.push.apple.com",
        ".notify.windows.com",
        ".push.apple.com",
    ]
    PUSH_ALLOW_HTTP = False  # tests only: http endpoints on any port (a local fake push service)
    PUSH_POOL_SIZE = 16
    PUSH_TIMEOUT = 10.0  # seconds per request; pywebpush's default never times out
    PUSH_TEST_TIMEOUT = 3.0  # seconds a test push may take in a request; slower ones go by the outbox
    PUSH_TEST_RATE_LIMIT = "3 per minute; 20 per hour"  # test pushes, per user
    PUSH_BATCH_SIZE = 500  # notifications claimed per round
    PUSH_LEASE_SECONDS = 300  # a row claimed longer ago (a crashed worker) is claimed again
    SCHEDULER_ENABLED = False  # `make run` sets it: `flask nudges run` every minute in the dev server
    # Responses are compressed (Flask-Compress); static files stream, so they get br or deflate.
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_ALGORITHM_STREAMING = ["br", "deflate"]
    COMPRESS_BR_LEVEL = 5
    # Mail (Flask-Mailman), read at send time. Development writes each message into a file in
    # instance/mail/ (MAIL_BACKEND "file"); production sends through MAIL_SERVER over SMTP and
    # refuses to start without it, unless a backend is set explicitly.
    MAIL_BACKEND = None  # "smtp", "file", "console", "locmem" or "dummy"
    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_USE_TLS = False  # STARTTLS, e.g. on port 587
    MAIL_USE_SSL = False  # TLS from the start, e.g. on port 465
    MAIL_DEFAULT_SENDER = None  # "Touchbase <touchbase@example.com>"; development: touchbase@localhost
    MAIL_TIMEOUT = 10.0  # seconds per connection and command; smtplib's default never times out
    MAIL_FILE_PATH = None  # the file backend's folder; default instance/mail
    # Where users reach Touchbase, e.g. https://touchbase.example.com: links in mails are built on
    # it, never on a request's Host header. Production sending over SMTP requires it.
    PUBLIC_URL = None
    PASSWORD_RESET_MINUTES = 60  # how long a password reset link works
    PASSWORD_RESET_RATE_LIMIT = "5 per minute; 20 per hour"  # nosec B105  # a rate limit: reset mails per client address
    PASSWORD_RESET_EMAIL_RATE_LIMIT = "3 per hour; 10 per day"  # nosec B105  # a rate limit: per address asked about


def _instance_secret(instance: Path) -> str:
    """Return a secret key kept in the instance folder, creating it once."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def load(app: Flask, test_config: dict | None) -> None:
    """Load configuration into *app*; refuse to start a misconfigured production app."""
    app.config.from_object(Defaults)
    app.config.from_prefixed_env("TOUCHBASE")
    if test_config:
        app.config.from_mapping(test_config)

    production = app.config["ENV"] == "production"
    if production:
        if not app.config.get("SECRET_KEY"):
            raise RuntimeError("TOUCHBASE_SECRET_KEY must be set in production.")
        if not app.config.get("SQLALCHEMY_DATABASE_URI"):
            raise RuntimeError("TOUCHBASE_SQLALCHEMY_DATABASE_URI must be set in production.")
        if not app.config.get("VAPID_PRIVATE_KEY"):
            raise RuntimeError("TOUCHBASE_VAPID_PRIVATE_KEY must be set in production (flask push keys --new).")
        if app.config.get("SESSION_COOKIE_DOMAIN") or app.config.get("REMEMBER_COOKIE_DOMAIN"):
            raise RuntimeError("Cookie domains cannot be set in production: the cookies are host-only (__Host-).")
        if (app.config.get("RATELIMIT_ENABLED", True) and not app.config.get("RATELIMIT_SINGLE_PROCESS")
                and str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://").startswith("memory://")):
            raise RuntimeError(
                "TOUCHBASE_RATELIMIT_STORAGE_URI must point at a shared storage in production, e.g. "
                "redis://127.0.0.1:6379/0: with memory:// every gunicorn worker counts sign-in attempts on "
                "its own. (Only when one single process serves the app: TOUCHBASE_RATELIMIT_SINGLE_PROCESS=true.)"
            )
        app.config.update(
            SESSION_COOKIE_SECURE=True,
            REMEMBER_COOKIE_SECURE=True,
            SESSION_COOKIE_PATH="/",
            REMEMBER_COOKIE_PATH="/",
            SESSION_COOKIE_NAME=app.config["PRODUCTION_SESSION_COOKIE_NAME"],
            REMEMBER_COOKIE_NAME=app.config["PRODUCTION_REMEMBER_COOKIE_NAME"],
        )
    else:
        os.makedirs(app.instance_path, exist_ok=True)
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
        if not app.config.get("SQLALCHEMY_DATABASE_URI"):
            db_path = Path(app.instance_path) / "touchbase.sqlite"
            app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{db_path}"
    _load_mail(app, production)


MAIL_BACKENDS = ("smtp", "file", "console", "locmem", "dummy")


def _load_mail(app: Flask, production: bool) -> None:
    """Check the mail settings and fill in the defaults of the environment.

    The timeout must be a positive, finite number of seconds (a mail server that never answers
    must not hang a request). Production needs ``MAIL_SERVER`` unless a backend is set
    explicitly, and, to send over SMTP, a sender and ``PUBLIC_URL``. Development writes mail
    into ``instance/mail/``.
    """
    config = app.config
    try:
        timeout = float(config.get("MAIL_TIMEOUT"))
    except (TypeError, ValueError):
        timeout = math.nan
    if not math.isfinite(timeout) or timeout <= 0:
        raise RuntimeError("TOUCHBASE_MAIL_TIMEOUT must be a positive number of seconds.")
    config["MAIL_TIMEOUT"] = timeout
    if config.get("MAIL_USE_TLS") and config.get("MAIL_USE_SSL"):
        raise RuntimeError("Set TOUCHBASE_MAIL_USE_TLS or TOUCHBASE_MAIL_USE_SSL, not both.")
    backend = config.get("MAIL_BACKEND")
    if backend and backend not in MAIL_BACKENDS:
        raise RuntimeError(f"TOUCHBASE_MAIL_BACKEND must be one of {', '.join(MAIL_BACKENDS)}.")
    if production:
        if not backend:
            if not config.get("MAIL_SERVER"):
                raise RuntimeError("TOUCHBASE_MAIL_SERVER must be set in production "
                                   "(or TOUCHBASE_MAIL_BACKEND, e.g. console).")
            backend = "smtp"
        if backend == "smtp":
            if not config.get("MAIL_DEFAULT_SENDER"):
                raise RuntimeError("TOUCHBASE_MAIL_DEFAULT_SENDER must be set in production.")
            if not config.get("PUBLIC_URL"):
                raise RuntimeError("TOUCHBASE_PUBLIC_URL must be set in production: links in mails are built on it.")
    config["MAIL_BACKEND"] = backend or "file"
    config["MAIL_FILE_PATH"] = config.get("MAIL_FILE_PATH") or str(Path(app.instance_path) / "mail")
    config["MAIL_DEFAULT_SENDER"] = config.get("MAIL_DEFAULT_SENDER") or "Touchbase <touchbase@localhost>"
