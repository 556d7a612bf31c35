"""Flask commands: users, tokens, demo data, streak state, push keys, the nudge run and the weekly mail."""

from __future__ import annotations

import time
from datetime import datetime

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from .. import clock
from ..nudges import snapshot
from ..push import outbox, vapid
from ..extensions import db
from ..kinds import Role
from ..models import Organization, Team
from ..operations import Conflict, Invalid, NotFound
from ..operations import accounts, streak_state, tokens
from ..operations import challenges as challenge_ops
from .demo import demo_cli
from .mail import send_weekly

users_cli = AppGroup("users", help="Manage users.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--name", required=True)
@click.option("--org", "org_name", required=True, help="Organisation name; created when missing.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.rep.value)
@click.option("--timezone", default="UTC")
def create_user_command(email, password, name, org_name, role, timezone):
    """Create a user, and the organisation and its team when missing."""
    now = clock.now()
    org = db.session.scalar(select(Organization).where(Organization.name == org_name))
    if org is None:
        org = Organization(name=org_name, created_at=now)
        db.session.add(org)
    team = db.session.scalar(select(Team).where(Team.organization == org).order_by(Team.id)) if org.id else None
    if team is None:
        team = Team(organization=org, name=org_name, created_at=now)
        db.session.add(team)
    try:
        user = accounts.create_user(
            db.session, organization=org, team=team, email=email, password=password,
            name=name, role=Role(role), timezone=timezone, now=now,
        )
    except (Invalid, Conflict) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email} in {org.name}.")


tokens_cli = AppGroup("tokens", help="Manage personal access tokens for the JSON API.")


@tokens_cli.command("create")
@click.argument("email")
@click.option("--name", default="CLI", show_default=True, help="A name to recognise the token by.")
def create_token_command(email, name):
    """Create an API token for the user with EMAIL and print it (it is shown only once)."""
    try:
        new = tokens.create_token_for_email(db.session, email, name=name, now=clock.now())
    except NotFound:
        db.session.rollback()
        raise click.ClickException(f"No user with the e-mail address {email!r}.") from None
    except Invalid as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(new.plaintext)


streaks_cli = AppGroup("streaks", help="Kept streak state.")


@streaks_cli.command("rebuild")
@click.option("--check", is_flag=True, help="Only compare the kept state with a fresh fold; change nothing.")
def rebuild_streaks_command(check: bool):
    """Recompute every rep's streak state from the touches; report (or fix) differences."""
    started = time.perf_counter()
    count, differences = streak_state.rebuild_all(db.session, now=clock.now(), check=check)
    if check:
        db.session.rollback()
    else:
        db.session.commit()
    elapsed = time.perf_counter() - started
    for diff in differences:
        click.echo(f"{'differs' if check else 'fixed'}: user {diff.user_id} <{diff.email}> kept={diff.kept} fresh={diff.fresh}")
    click.echo(f"{count} users, {len(differences)} differences, {elapsed:.2f} s.")
    if check and differences:
        raise SystemExit(1)


push_cli = AppGroup("push", help="Web push.")


@push_cli.command("keys")
@click.option("--new", "new", is_flag=True, help="Make a new key pair for production and print both keys.")
def push_keys_command(new: bool):
    """Print the VAPID public key (the browser's applicationServerKey)."""
    if new:
        pem = vapid.new_private_key_pem()
        click.echo("# Set in the environment (keep the private key secret):")
        click.echo("TOUCHBASE_VAPID_PRIVATE_KEY='" + pem.strip().replace("\n", "\\n") + "'")
        click.echo("TOUCHBASE_VAPID_PUBLIC_KEY=" + vapid.public_key_of(vapid.parse_private_key(pem)))
        return
    click.echo(vapid.public_key())


@push_cli.command("send")
def push_send_command():
    """Send the due notifications of the outbox (no scan); run several at once to send faster."""
    started = time.perf_counter()
    report = outbox.process_outbox(db.session, now=clock.now())
    click.echo(
        f"{report.sent} sent, {report.retried} to retry, {report.failed} failed, "
        f"{report.removed_subscriptions} subscriptions removed in {time.perf_counter() - started:.2f} s."
    )


nudges_cli = AppGroup("nudges", help="Reminders: scan for due nudges and send the outbox.")


def _instant(value: str | None):
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use an ISO 8601 instant like 2026-11-27T18:00:00+01:00") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise click.BadParameter("the instant needs an offset, like 2026-11-27T18:00:00+01:00")
    return moment.astimezone(clock.UTC)


#: The nudge scan plugged into ``flask nudges run`` (``snapshot.scan``); ``None`` sends the outbox only.
NUDGE_SCAN = snapshot.scan


@nudges_cli.command("run")
@click.option("--at", "at", default=None, help="Evaluate (and send) as of this ISO 8601 instant; default now.")
@click.option("--dry-run", is_flag=True, help="Report what is due; enqueue and send nothing.")
def run_nudges_command(at: str | None, dry_run: bool):
    """Enqueue the nudges due now (or --at), then send the pending notifications."""
    moment = _instant(at) or clock.now()
    started = time.perf_counter()
    report = outbox.run(db.session, at=moment, dry_run=dry_run, scan=NUDGE_SCAN)
    elapsed = time.perf_counter() - started
    if report.dry_run:
        click.echo(f"dry run at {moment.isoformat()}: {report.enqueued} nudges due, {report.pending} notifications pending.")
        return
    click.echo(
        f"{report.enqueued} enqueued, {report.sent} sent, {report.retried} to retry, {report.failed} failed, "
        f"{report.removed_subscriptions} subscriptions removed in {elapsed:.2f} s."
    )


challenges_cli = AppGroup("challenges", help="Team challenges.")


@challenges_cli.command("finalize")
@click.option("--at", "at", default=None, help="Finalize as of this ISO 8601 instant; default now.")
def finalize_challenges_command(at: str | None):
    """Freeze the results of every challenge whose end has passed (safe to run again)."""
    count = challenge_ops.finalize_due(db.session, now=_instant(at) or clock.now())
    db.session.commit()
    click.echo(f"{count} challenges finalized.")


mail_cli = AppGroup("mail", help="Mail: the weekly summary.")


@mail_cli.command("weekly")
@click.option("--at", "at", default=None, help="Decide (and send) as of this ISO 8601 instant; default now.")
@click.option("--dry-run", is_flag=True, help="List who would get a weekly summary now; send nothing.")
def mail_weekly_command(at: str | None, dry_run: bool):
    """Send the weekly summary mails due now (run it hourly); exit status 1 when some could not be sent."""
    moment = _instant(at) or clock.now()
    started = time.perf_counter()
    report = send_weekly(db.session, now=moment, dry_run=dry_run)
    if dry_run:
        for due in report.due:
            click.echo(f"{due.week}  user {due.user.id}  {due.user.email}")
        click.echo(f"dry run at {moment.isoformat()}: {len(report.due)} weekly summaries due.")
        return
    click.echo(f"{report.sent} sent, {report.failed} failed (tried again next run), {report.skipped} taken by "
               f"another run in {time.perf_counter() - started:.2f} s.")
    if report.failed:
        raise SystemExit(1)


def init_app(app: Flask) -> None:
    """Register the command groups."""
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(streaks_cli)
    app.cli.add_command(push_cli)
    app.cli.add_command(nudges_cli)
    app.cli.add_command(challenges_cli)
    app.cli.add_command(mail_cli)
