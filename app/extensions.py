"""Flask extensions, created unbound and initialised in ``create_app``."""

from flask import Flask, current_app, has_app_context
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention, so migrations stay deterministic."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True, render_as_batch=True)


class HostCookieLoginManager(LoginManager):
    """Flask-Login, but clearing the remember cookie with the flags it was set with.

    Flask-Login deletes the cookie without ``Secure``; browsers ignore such a ``Set-Cookie`` for a
    ``__Host-`` cookie, so a signed-out browser would keep sending its old remember cookie.
    """

    def _clear_cookie(self, response):
        config = current_app.config
        response.delete_cookie(
            config.get("REMEMBER_COOKIE_NAME", "remember_token"),
            domain=config.get("REMEMBER_COOKIE_DOMAIN"),
            path=config.get("REMEMBER_COOKIE_PATH", "/"),
            secure=bool(config.get("REMEMBER_COOKIE_SECURE")),
            httponly=bool(config.get("REMEMBER_COOKIE_HTTPONLY", True)),
            samesite=config.get("REMEMBER_COOKIE_SAMESITE"),
        )


login_manager = HostCookieLoginManager()
csrf = CSRFProtect()
babel = Babel()
mail = Mail()


class AppLimiter(Limiter):
    """A Flask-Limiter whose on/off switch and storage belong to each app, not to the shared object.

    Flask-Limiter keeps ``enabled`` and the storage on the limiter itself, so the last
    ``init_app`` would decide for every app in the process (tests make several). Here each app is
    initialised as enabled, keeps its own storage in ``app.extensions``, and a request filter
    reads the app's ``RATELIMIT_ENABLED`` on every request.
    """

    def init_app(self, app: Flask) -> None:
        """Bind to *app* with its own storage; ``RATELIMIT_ENABLED`` is read per request."""
        wanted = app.config.get("RATELIMIT_ENABLED", True)
        app.config["RATELIMIT_ENABLED"] = True
        self.enabled = True
        try:
            super().init_app(app)
        finally:
            app.config["RATELIMIT_ENABLED"] = wanted
        app.extensions[_STATE] = (self._storage, self._limiter)

    def _state(self):
        return current_app.extensions.get(_STATE) if has_app_context() else None

    @property
    def storage(self):
        """Return the current app's rate limit storage."""
        state = self._state()
        return state[0] if state else super().storage

    @property
    def limiter(self):
        """Return the current app's rate limiting strategy (bound to its storage)."""
        state = self._state()
        return state[1] if state else super().limiter


def user_or_address() -> str:
    """Key a rate limit by the signed-in user, else by the client's address."""
    from flask_login import current_user

    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


def config_limit(name: str):
    """Return a limit provider that reads the limit string from the app's config key *name*."""
    return lambda: current_app.config[name]


_STATE = "touchbase.ratelimit"
limiter = AppLimiter(key_func=get_remote_address)


@limiter.request_filter
def _limits_off() -> bool:
    """Exempt every request of an app whose ``RATELIMIT_ENABLED`` is false."""
    return not current_app.config.get("RATELIMIT_ENABLED", True)
