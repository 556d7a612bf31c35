"""The layers of ARCHITECTURE.md hold: imports point one way, and the pure rules stay pure."""

from __future__ import annotations

from importlinter.cli import lint_imports

from app import ROOT


def test_imports_follow_the_layers_and_the_pure_rules_import_no_framework(capsys):
    code = lint_imports(config_filename=str(ROOT / ".importlinter"), no_cache=True)
    assert code == 0, capsys.readouterr().out[-3000:]
