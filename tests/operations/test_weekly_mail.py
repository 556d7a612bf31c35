"""The weekly summary mail: who is due when, once per week, its figures, and the mail at a real SMTP server.

Calendar: the week summarised is Mon 23 – Sun 29 Nov 2026; the mail is due from Mon 30 Nov,
07:00 in Berlin (06:00 UTC). ``send_weekly`` is what ``flask mail weekly`` runs.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app import badges
from app.cli.mail import send_weekly
from app.kinds import Role
from app.models import BadgeAward, PointsEntry, WeeklyMail
from app.operations import NotFound, weekly_mail
from app.operations import touches as touch_ops
from app.queries import weekly as weekly_q
from smtp_server import closed_port, mail_to

UTC = timezone.utc
MONDAY_8 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # Monday 08:00 in Berlin
WEEK = "2026-W49"
FIRST, LAST = datetime(2026, 11, 23).date(), datetime(2026, 11, 29).date()


def _at(day: int, hour_utc: int = 9) -> datetime:
    return datetime(2026, 11, day, hour_utc, 0, tzinfo=UTC)


@pytest.fixture
def team(session, make_org, make_user, make_customer):
    """A coach and a rep (both opted in); the rep touched customers every workday last week."""
    team = make_org("Nordlicht")
    coach = make_user(team=team, role=Role.coach, name="Carla Coach", email="carla@example.com",
                      weekly_summary_mail=True)
    rep = make_user(team=team, name="Rita Rep", email="rita@example.com", weekly_summary_mail=True)
    quiet = make_customer(rep, "Müller AG", tier="A", now=_at(1) - timedelta(days=31))
    schmidt = make_customer(rep, "Schmidt KG", tier="B", now=_at(1))
    weber = make_customer(rep, "Weber Druck", tier="C", now=_at(1))
    for day, customer, kind in ((23, schmidt, "call"), (24, weber, "visit"), (25, schmidt, "call"),
                                (26, weber, "letter"), (27, schmidt, "call")):
        touch_ops.log_touch(session, user=rep, customer_id=customer.id, kind=kind, now=_at(day))
    session.commit()
    return coach, rep, quiet


def _due(session, now):
    return [(due.user.email, due.week) for due in weekly_mail.due_users(session, now=now)]


# -- when ------------------------------------------------------------------------------------------

def test_due_from_the_first_workdays_morning_in_the_users_zone(session, team, make_user):
    coach, rep, _quiet = team
    make_user(email="off@example.com")  # never switched it on
    early = make_user(email="early@example.com", weekly_summary_mail=True, quiet_end_hour=6)
    session.commit()
    assert _due(session, MONDAY_8 - timedelta(hours=1, minutes=1)) == []  # 06:59 in Berlin
    assert _due(session, MONDAY_8 - timedelta(hours=1)) == [(early.email, WEEK)]  # 07:00, after their quiet hours
    # Everyone else's quiet hours end at 08:00 (the default).
    assert _due(session, MONDAY_8) == [(coach.email, WEEK), (rep.email, WEEK), (early.email, WEEK)]
    assert _due(session, _at(28, 10))[:2] == [(coach.email, "2026-W48"), (rep.email, "2026-W48")]  # Saturday


def test_quiet_hours_workdays_and_time_zones_decide(session, make_user):
    late = make_user(email="late@example.com", weekly_summary_mail=True, quiet_start_hour=21, quiet_end_hour=9)
    tuesday = make_user(email="tuesday@example.com", weekly_summary_mail=True, workdays=[1, 2, 3, 4, 5])
    york = make_user(email="york@example.com", weekly_summary_mail=True, timezone="America/New_York")
    session.commit()
    assert _due(session, MONDAY_8) == []
    assert _due(session, MONDAY_8 + timedelta(hours=1)) == [(late.email, WEEK)]  # 09:00, quiet hours over
    assert (york.email, WEEK) not in _due(session, datetime(2026, 11, 30, 12, 0, tzinfo=UTC))  # 07:00 in New York
    assert (york.email, WEEK) in _due(session, datetime(2026, 11, 30, 13, 0, tzinfo=UTC))
    assert (tuesday.email, WEEK) in _due(session, MONDAY_8 + timedelta(days=1))


# -- once a week -----------------------------------------------------------------------------------

def test_a_run_sends_each_due_mail_once_and_a_second_run_nothing(session, team, smtp_server):
    coach, rep, _quiet = team
    report = send_weekly(session, now=MONDAY_8)
    assert (report.sent, report.failed, report.skipped) == (2, 0, 0)
    assert len(smtp_server.to(rep.email)) == len(smtp_server.to(coach.email)) == 1
    rows = session.execute(select(WeeklyMail.user_id, WeeklyMail.week, WeeklyMail.sent_at)).all()
    assert sorted(rows) == sorted([(coach.id, WEEK, MONDAY_8), (rep.id, WEEK, MONDAY_8)])
    again = send_weekly(session, now=MONDAY_8 + timedelta(hours=1))
    assert (len(again.due), again.sent) == (0, 0)
    assert len(smtp_server.messages) == 2
    next_week = send_weekly(session, now=MONDAY_8 + timedelta(days=7))
    assert next_week.sent == 2 and len(smtp_server.messages) == 4


def test_a_week_is_claimed_once_even_by_two_runs(session, team):
    _coach, rep, _quiet = team
    assert weekly_mail.claim(session, rep.id, WEEK, now=MONDAY_8) is True
    session.commit()
    assert weekly_mail.claim(session, rep.id, WEEK, now=MONDAY_8) is False
    assert weekly_mail.claim(session, rep.id, WEEK, now=MONDAY_8 + weekly_mail.LEASE - timedelta(seconds=1)) is False
    session.rollback()


def test_a_failed_send_is_given_back_and_the_next_run_sends_it(app, session, team, smtp_server):
    _coach, rep, _quiet = team
    with mail_to(app, closed_port()):
        failed = send_weekly(session, now=MONDAY_8)
    assert (failed.sent, failed.failed) == (0, 2)
    row = session.scalar(select(WeeklyMail).where(WeeklyMail.user_id == rep.id))
    assert (row.claimed_at, row.sent_at, row.attempts, row.last_error) == (None, None, 1, "ConnectionRefusedError")
    retried = send_weekly(session, now=MONDAY_8 + timedelta(hours=1))
    assert retried.sent == 2 and len(smtp_server.to(rep.email)) == 1
    session.refresh(row)
    assert row.sent_at == MONDAY_8 + timedelta(hours=1) and row.attempts == 2 and row.last_error is None


def test_a_run_that_died_after_sending_repeats_the_mail_once_after_the_lease(session, team, smtp_server):
    _coach, rep, _quiet = team
    # What a run leaves behind when it dies between handing the mail over and marking it sent.
    assert weekly_mail.claim(session, rep.id, WEEK, now=MONDAY_8)
    session.commit()
    assert rep.email not in [email for email, _week in _due(session, MONDAY_8 + timedelta(minutes=10))]
    later = MONDAY_8 + weekly_mail.LEASE
    assert (rep.email, WEEK) in _due(session, later)
    assert send_weekly(session, now=later).sent == 2
    assert len(smtp_server.to(rep.email)) == 1
    assert send_weekly(session, now=later + weekly_mail.LEASE).sent == 0


def test_a_dry_run_lists_who_is_due_and_writes_and_sends_nothing(session, team, smtp_server):
    coach, rep, _quiet = team
    report = send_weekly(session, now=MONDAY_8, dry_run=True)
    assert [due.user.email for due in report.due] == [coach.email, rep.email]
    assert report.sent == 0 and smtp_server.messages == []
    assert session.scalar(select(func.count(WeeklyMail.id))) == 0


def test_the_command_sends_reports_and_fails_when_mail_could_not_go_out(app, runner, session, team, smtp_server):
    coach, rep, _quiet = team
    dry = runner.invoke(args=["mail", "weekly", "--dry-run", "--at", "2026-11-30T08:00:00+01:00"])
    assert dry.exit_code == 0, dry.output
    assert f"{WEEK}  user {rep.id}  {rep.email}" in dry.output and "2 weekly summaries due" in dry.output
    with mail_to(app, closed_port()):
        down = runner.invoke(args=["mail", "weekly", "--at", "2026-11-30T08:00:00+01:00"])
    assert down.exit_code == 1 and "0 sent, 2 failed" in down.output
    sent = runner.invoke(args=["mail", "weekly", "--at", "2026-11-30T09:00:00+01:00"])
    assert sent.exit_code == 0 and "2 sent, 0 failed" in sent.output
    assert runner.invoke(args=["mail", "weekly", "--at", "2026-11-30T09:00:00"]).exit_code == 2  # no offset


# -- what it says ----------------------------------------------------------------------------------

def _line(text: str, start: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(start))


def test_a_reps_mail_has_the_figures_of_their_week(session, team, smtp_server):
    _coach, rep, quiet = team
    send_weekly(session, now=MONDAY_8)
    received = smtp_server.one(rep.email)
    assert received.subject == "Your week on Touchbase"
    text = received.text
    assert "here is your week from November 23, 2026 to November 29, 2026." in text
    assert _line(text, "- 5 touches on 5 days:") == "- 5 touches on 5 days: Call 3, Letter 1, Visit 1"
    assert "- Streak: 5 days (longest: 5 days)" in text
    points = session.scalar(select(func.sum(PointsEntry.points)).where(
        PointsEntry.user_id == rep.id, PointsEntry.local_day >= FIRST, PointsEntry.local_day <= LAST))
    assert points > 0 and f"- {points} points" in text
    codes = session.scalars(select(BadgeAward.code).where(BadgeAward.user_id == rep.id)
                            .order_by(BadgeAward.awarded_at, BadgeAward.id)).all()
    assert "first_touch" in codes
    assert f"- Badges earned: {', '.join(badges.get(c).name_in('en') for c in codes)}" in text
    days = (MONDAY_8.date() - quiet.created_day).days
    assert f"- Müller AG: {days} days without a touch" in text
    assert "Schmidt KG" not in text and "Weber Druck" not in text  # in touch
    assert "Your team" not in text
    html = received.html
    assert "5 touches on 5 days" in html and "Müller AG" in html and f"{points} points" in html


def test_a_coachs_mail_adds_the_team_the_quiet_radar_and_coverage(session, team, smtp_server):
    coach, rep, _quiet = team
    send_weekly(session, now=MONDAY_8)
    text = smtp_server.one(coach.email).text
    assert "- No touches last week. One call this week gets things moving again." in text  # the coach's own week
    assert "- Last week: 5 touches, 1 of 1 reps kept in touch." in text
    # Rita's A and B customers: Müller AG is quiet, Schmidt KG is not (Weber Druck is tier C).
    assert "- Coverage: 50 % of the A and B customers are in touch (1 of 2)." in text
    assert re.search(r"\* Rita Rep: 1 quiet customer; streak: 5 days; last touch: Nov 27, 2026", text), text
    summary = weekly_q.summary(session, coach, now=MONDAY_8)
    assert summary.team.week.touches == 5 and summary.team.coverage == 50
    assert [row.rep.id for row in summary.team.going_quiet] == [rep.id]


def test_a_german_user_gets_the_mail_in_german(session, team, smtp_server):
    _coach, rep, _quiet = team
    rep.locale = "de"
    session.commit()
    send_weekly(session, now=MONDAY_8)
    received = smtp_server.one(rep.email)
    assert received.subject == "Deine Woche auf Touchbase"
    assert "hier ist deine Woche vom 23. November 2026 bis zum 29. November 2026." in received.text
    assert "- 5 Kontakte an 5 Tagen: Anruf 3, Brief 1, Besuch 1" in received.text
    assert "- Müller AG: 60 Tage ohne Kontakt" in received.text
    assert 'lang="de"' in received.html and "Serie: 5 Tage" in received.html


def test_the_mail_links_to_the_setting_and_unsubscribes_with_one_click(app, client, session, team, smtp_server):
    _coach, rep, _quiet = team
    send_weekly(session, now=MONDAY_8)
    received = smtp_server.one(rep.email)
    header = received.message["List-Unsubscribe"].strip()  # a long header is folded onto a second line
    assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(http://127\.0\.0\.1:5000(/settings/weekly-mail/unsubscribe/[^>]+))>", header)
    assert url and url.group(1) in received.text and url.group(1) in received.html
    assert "http://127.0.0.1:5000/settings/#weekly-mail" in received.text
    path = url.group(2)
    app.config["WTF_CSRF_ENABLED"] = True  # a mail program posts without a form
    asked = client.get(path)
    assert asked.status_code == 200 and "Stop the weekly summary mails to rita@example.com?" in asked.get_data(
        as_text=True)
    session.refresh(rep)
    assert rep.weekly_summary_mail is True  # a GET (a link checker) changes nothing
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "gets no more weekly summaries" in done.get_data(as_text=True)
    session.refresh(rep)
    assert rep.weekly_summary_mail is False
    assert send_weekly(session, now=MONDAY_8 + timedelta(days=7)).sent == 1  # the coach only


@pytest.mark.parametrize("token", ["nonsense", "eyJ1IjoxfQ.forged"])
def test_an_unsubscribe_link_that_is_not_ours_is_a_404(client, session, team, token):
    _coach, rep, _quiet = team
    for response in (client.get(f"/settings/weekly-mail/unsubscribe/{token}"),
                     client.post(f"/settings/weekly-mail/unsubscribe/{token}")):
        assert response.status_code == 404
        assert "This link does not work." in response.get_data(as_text=True)
    session.refresh(rep)
    assert rep.weekly_summary_mail is True


def test_an_unsubscribe_token_needs_the_apps_secret(session, team):
    _coach, rep, _quiet = team
    token = weekly_mail.unsubscribe_token(rep, secret="one secret")
    assert weekly_mail.subscriber(session, token, secret="one secret") == rep
    with pytest.raises(NotFound):
        weekly_mail.subscriber(session, token, secret="another secret")
