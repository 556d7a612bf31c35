"""Blueprints, one per feature."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Register every feature's blueprint."""
    from . import api, auth, customers, push, pwa, settings, streak, team, today, touches
    from . import badges, calendar, challenges, trends

    for module in (auth, today, customers, touches, settings, team, streak, push, pwa):
        app.register_blueprint(module.bp)
    app.register_blueprint(challenges.bp)
    app.register_blueprint(badges.bp)
    app.register_blueprint(calendar.bp)
    app.register_blueprint(trends.bp)
    app.register_blueprint(api.bp, url_prefix="/api/v1")
