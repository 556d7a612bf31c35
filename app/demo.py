"""Demo data for ``make run`` (placeholder until the demo seed lands)."""

import click
from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("seed")
def seed_command():
    """Seed a demo organisation when the database is empty."""
    click.echo("No demo data yet.")
