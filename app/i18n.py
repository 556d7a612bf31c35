"""Language and time-zone selection for Flask-Babel."""

from flask import current_app, request
from flask_login import current_user


def select_locale() -> str | None:
    """Use the user's language setting, else the browser's ``Accept-Language``."""
    if current_user and current_user.is_authenticated and current_user.locale:
        return current_user.locale
    if not request:
        return None
    return request.accept_languages.best_match(current_app.config["LANGUAGES"])


def select_timezone() -> str | None:
    """Format dates in the user's own time zone."""
    if current_user and current_user.is_authenticated:
        return current_user.timezone
    return None
