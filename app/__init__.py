"""Touchbase: keep in touch with every customer, every day."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from . import cli, config, database, i18n, revisions, scheduler, web
from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .extensions import mail as mailman
from .views import register_blueprints

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Create and wire the application: config, extensions, blueprints, CLI, error handlers."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    config.load(app, test_config)

    db.init_app(app)
    revisions.install()
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        timezone_selector=i18n.select_timezone,
        default_translation_directories=str(ROOT / "app" / "translations"),
    )
    i18n.init_app(app)
    limiter.init_app(app)
    mailman.init_app(app)
    with app.app_context():
        database.configure_engine(db.engine)

    web.init_url_map(app)
    register_blueprints(app)
    web.init_app(app)
    cli.init_app(app)
    scheduler.init_app(app)  # only under `make run` (SCHEDULER_ENABLED); off in tests and production
    return app
