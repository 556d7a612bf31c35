"""Language and time-zone selection for Flask-Babel, and fast gettext for the templates."""

from __future__ import annotations

from babel.support import NullTranslations
from flask import Flask, current_app, request
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup

from . import clock

# Catalogues by locale. Every app of the process reads the same translation folder
# (create_app sets it), so one catalogue per locale serves them all.
_catalogues: dict = {}
_NO_CATALOGUE = NullTranslations()
# The last locale object looked up and its catalogue: a request keeps one locale object for
# all its strings, and an identity check is cheaper than hashing and comparing a Locale.
_last: tuple = (None, _NO_CATALOGUE)


def select_locale() -> str | None:
    """Use the user's language setting, else the browser's ``Accept-Language``."""
    if current_user and current_user.is_authenticated and current_user.locale:
        return current_user.locale
    if not request:
        return None
    return request.accept_languages.best_match(current_app.config["LANGUAGES"])


def language(locale: str | None) -> str:
    """Return the catalogue language for a user's *locale* setting outside a request (a push, a feed).

    Its prefix when the app has that language (``de-CH`` is German), else English.
    """
    prefix = (locale or "en")[:2].lower()
    return prefix if prefix in current_app.config["LANGUAGES"] else "en"


def select_timezone() -> str | None:
    """Format dates in the user's own time zone (a zone the stack does not know: the default, UTC)."""
    if current_user and current_user.is_authenticated and clock.is_valid_zone(current_user.timezone):
        return current_user.timezone
    return None


def translations() -> NullTranslations:
    """Return the catalogue of the request's locale (``force_locale`` and ``refresh`` included)."""
    global _last
    locale = get_locale()
    last = _last
    if last[0] is locale and locale is not None:
        return last[1]
    if locale is None:  # outside an app context, as Flask-Babel does
        return _NO_CATALOGUE
    catalogue = _catalogues.get(locale)
    if catalogue is None:
        catalogue = _catalogues[locale] = get_translations()
    _last = (locale, catalogue)
    return catalogue


def _format(eval_ctx, text: str, variables: dict) -> str:
    # Jinja's newstyle gettext: the result is always a format string, escaped when autoescaping.
    if eval_ctx.autoescape:
        text = Markup(text)  # nosec B704  # the catalogue's own text; ``%`` escapes the variables
    if not variables and "%" not in text:
        return text
    return text % variables


@pass_eval_context
def template_gettext(eval_ctx, string: str, /, **variables) -> str:
    """``_()`` and ``gettext()`` in templates: Jinja's newstyle gettext on the cached catalogue."""
    return _format(eval_ctx, translations().ugettext(string), variables)


@pass_eval_context
def template_ngettext(eval_ctx, singular: str, plural: str, num: int, /, **variables) -> str:
    """``ngettext()`` in templates: Jinja's newstyle ngettext on the cached catalogue."""
    variables.setdefault("num", num)
    return _format(eval_ctx, translations().ungettext(singular, plural, num), variables)


def init_app(app: Flask) -> None:
    """Give the templates gettext callables that skip Flask-Babel's per-call catalogue lookup.

    Flask-Babel resolves the domain, the locale and the catalogue on every call; a page with a
    hundred strings spent more time there than in the rest of its rendering. Call after
    ``babel.init_app``.
    """
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext, ngettext=template_ngettext)
