"""The layers of ARCHITECTURE.md hold: imports point one way, and the pure rules stay pure."""

from __future__ import annotations

import logging

from importlinter.cli import lint_imports

from app import ROOT


def test_imports_follow_the_layers_and_the_pure_rules_import_no_framework(capsys):
    # import-linter configures logging and disables every logger that exists by then (the app's
    # too), which would hide their records from the tests that run after this one.
    loggers = [logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger)]
    enabled = [logger for logger in loggers if not logger.disabled]
    try:
        code = lint_imports(config_filename=str(ROOT / ".importlinter"), no_cache=True)
    finally:
        for logger in enabled:
            logger.disabled = False
    assert code == 0, capsys.readouterr().out[-3000:]
