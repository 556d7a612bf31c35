"""The weekly summary mails due now (``flask mail weekly``), each claimed, sent, then marked.

Started hourly by cron (README, "Deployment"). Each due user's week is claimed and committed
before the mail goes out, marked sent and committed after it; a failed send gives the claim
back for the next run (``operations.weekly_mail`` has the rules).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from .. import badges, mail
from ..models import User
from ..operations import weekly_mail
from ..queries import weekly as weekly_q

log = logging.getLogger(__name__)


@dataclass
class WeeklyReport:
    """What one run did: the users due, and how many mails went out or failed."""

    due: list[weekly_mail.Due] = field(default_factory=list)
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # claimed by another run meanwhile


def send_summary(summary: weekly_q.Summary) -> None:
    """Mail *summary* to its user, in their language, with a one-click unsubscribe link; raise ``MailError``."""
    user = summary.user
    lang = mail.language(user.locale)
    token = weekly_mail.unsubscribe_token(user, secret=current_app.secret_key)
    unsubscribe = mail.link("settings.unsubscribe_weekly", token=token)
    mail.send(
        "weekly_summary",
        to=user.email,
        user_id=user.id,
        locale=user.locale,
        subject=_l("Your week on Touchbase"),
        template="weekly",
        headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        summary=summary,
        badge_names=[badges.get(code).name_in(lang) for code in summary.rep.badges],
        app_link=mail.link("today.index"),
        team_link=mail.link("team.index"),
        settings_link=mail.link("settings.index") + "#weekly-mail",
        unsubscribe_link=unsubscribe,
    )


def send_weekly(session: Session, *, now: datetime, dry_run: bool = False) -> WeeklyReport:
    """Send every weekly mail due at *now*; with *dry_run* only find who is due."""
    report = WeeklyReport(due=weekly_mail.due_users(session, now=now))
    if dry_run:
        session.rollback()
        return report
    targets = [(due.user.id, due.week) for due in report.due]
    for user_id, week in targets:
        if not weekly_mail.claim(session, user_id, week, now=now):
            session.rollback()
            report.skipped += 1
            continue
        session.commit()
        try:
            user = session.get(User, user_id)
            send_summary(weekly_q.summary(session, user, now=now))
        except mail.MailError as exc:
            session.rollback()
            weekly_mail.release(session, user_id, week, error=exc.reason)
            session.commit()
            report.failed += 1
            continue
        except Exception:
            # A summary that cannot be built must not block everyone else's; the claim is given back.
            log.exception("weekly mail for user %s failed", user_id)
            session.rollback()
            weekly_mail.release(session, user_id, week, error="error")
            session.commit()
            report.failed += 1
            continue
        weekly_mail.mark_sent(session, user_id, week, now=now)
        session.commit()
        report.sent += 1
    return report
