"""Blueprints, one per feature."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Register every feature's blueprint."""
    from . import api, auth, customers, settings, team, today, touches

    for module in (auth, today, customers, touches, settings, team):
        app.register_blueprint(module.bp)
    app.register_blueprint(api.bp, url_prefix="/api/v1")
