"""Team admin against the database session: roles, handing customers over, removing and restoring members."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.kinds import Role
from app.models import ApiToken, FollowUp, PasswordReset, PointsEntry, PushSubscription, Touch, User
from app.operations import Conflict, Invalid, NotFound, accounts, calendar_feeds, invites, members, password_reset, tokens
from app.operations import follow_ups as follow_up_ops
from app.operations import touches as touch_ops
from support import NOW, PASSWORD


@pytest.fixture
def team(make_org):
    return make_org("Nordwind")


@pytest.fixture
def admin(make_user, team):
    return make_user(team=team, role=Role.admin, name="Ada Admin")


@pytest.fixture
def coach(make_user, team):
    return make_user(team=team, role=Role.coach, name="Carla Coach")


@pytest.fixture
def rep(make_user, team):
    return make_user(team=team, name="Rita Rep")


@pytest.fixture
def colleague(make_user, team):
    return make_user(team=team, name="Ben Colleague")


# -- who may act on whom ------------------------------------------------------------------------

def test_only_a_coach_or_admin_of_the_team_finds_a_member(session, make_user, make_org, admin, coach, rep, colleague):
    assert members.team_member(session, coach, rep.id) is rep
    assert members.team_member(session, admin, rep.id) is rep
    stranger = make_user(team=make_org(), role=Role.admin)
    for actor, member_id in ((colleague, rep.id), (stranger, rep.id), (coach, stranger.id), (coach, "x"),
                             (coach, 2**40)):
        with pytest.raises(NotFound):
            members.team_member(session, actor, member_id)


# -- roles -------------------------------------------------------------------------------------

def test_a_coach_makes_a_rep_a_coach_and_back(session, coach, rep):
    assert members.change_role(session, coach, rep.id, "coach").role is Role.coach
    assert members.change_role(session, coach, rep.id, "rep").role is Role.rep


@pytest.mark.parametrize("role", ["", "boss", None, 3, "Admin"])
def test_an_unknown_role_is_refused(session, coach, rep, role):
    with pytest.raises(Invalid) as refused:
        members.change_role(session, coach, rep.id, role)
    assert "role" in refused.value.fields
    assert rep.role is Role.rep


def test_only_an_admin_makes_an_admin_or_changes_one(session, admin, coach, rep):
    with pytest.raises(Invalid, match="Only an admin"):
        members.change_role(session, coach, rep.id, "admin")
    with pytest.raises(Invalid, match="Only an admin"):
        members.change_role(session, coach, admin.id, "coach")
    assert members.change_role(session, admin, rep.id, "admin").role is Role.admin
    assert members.change_role(session, admin, rep.id, "coach").role is Role.coach


def test_a_team_keeps_a_coach(session, make_org, make_user):
    team = make_org()
    only_coach = make_user(team=team, role=Role.coach)
    make_user(team=team)
    with pytest.raises(Invalid, match="at least one coach"):
        members.change_role(session, only_coach, only_coach.id, "rep")
    assert only_coach.role is Role.coach


def test_the_last_admin_cannot_demote_themselves(session, admin, coach):
    with pytest.raises(Invalid, match="You are the last admin"):
        members.change_role(session, admin, admin.id, "coach")
    members.change_role(session, admin, coach.id, "admin")
    # Now there is another admin: stepping down is fine, and the team still has coaches.
    assert members.change_role(session, admin, admin.id, "coach").role is Role.coach


def test_a_coach_may_step_down_while_another_coach_stays(session, admin, coach):
    assert members.change_role(session, coach, coach.id, "rep").role is Role.rep
    with pytest.raises(NotFound):  # no longer a coach: the admin pages are gone for them
        members.change_role(session, coach, coach.id, "coach")


# -- handing customers over --------------------------------------------------------------------

def _history(session, rep, make_customer):
    """Two customers of *rep*, one archived; touches, points and an open follow-up on the first."""
    first = make_customer(rep, "Müller AG", tier="A", now=NOW - timedelta(days=20))
    archived = make_customer(rep, "Alt GmbH", now=NOW - timedelta(days=20))
    archived.archived_at = NOW
    touch_ops.log_touch(session, user=rep, customer_id=first.id, kind="visit", now=NOW - timedelta(days=2))
    follow_up_ops.plan_follow_up(session, actor=rep, customer_id=first.id, due_day=NOW.date() + timedelta(days=3),
                                 now=NOW)
    session.flush()
    return first, archived


def test_handing_over_moves_every_customer_and_its_plan_but_no_touch(session, coach, rep, colleague, make_customer):
    first, archived = _history(session, rep, make_customer)
    points = session.scalar(select(func.sum(PointsEntry.points)).where(PointsEntry.user_id == rep.id))
    moved = members.hand_over_customers(session, coach, rep.id, colleague.id)
    assert (moved.customers, moved.to) == (2, colleague)
    assert (first.owner_id, archived.owner_id) == (colleague.id, colleague.id)
    follow_up = session.scalar(select(FollowUp).where(FollowUp.customer_id == first.id))
    assert follow_up.user_id == colleague.id and follow_up.created_by_id == rep.id
    touch = session.scalar(select(Touch).where(Touch.customer_id == first.id))
    assert touch.user_id == rep.id  # history stays the old rep's
    assert session.scalar(select(func.sum(PointsEntry.points)).where(PointsEntry.user_id == rep.id)) == points
    assert members.customer_count(session, rep) == (0, 0)
    assert members.customer_count(session, colleague) == (1, 1)


@pytest.mark.parametrize("to", ["", "abc", "self", "stranger"])
def test_handing_over_needs_another_member_of_the_team(session, make_user, make_org, coach, rep, make_customer, to):
    customer = make_customer(rep, "Stays AG")
    target = {"self": rep.id, "stranger": make_user(team=make_org()).id}.get(to, to)
    with pytest.raises(Invalid) as refused:
        members.hand_over_customers(session, coach, rep.id, target)
    assert "to" in refused.value.fields and customer.owner_id == rep.id


def test_nothing_to_hand_over_is_said(session, coach, rep, colleague):
    with pytest.raises(Invalid, match="no customers"):
        members.hand_over_customers(session, coach, rep.id, colleague.id)


# -- removing and restoring --------------------------------------------------------------------

def test_removing_closes_the_account_and_keeps_the_history(app, session, coach, rep, colleague, make_customer):
    first, _archived = _history(session, rep, make_customer)
    token = tokens.create_token(session, rep, name="phone", now=NOW).plaintext
    feed = calendar_feeds.make_feed(session, rep, now=NOW).token
    session.add(PushSubscription(user_id=rep.id, endpoint="https://fcm.googleapis.com/fcm/send/x", p256dh="k",
                                 auth="a", created_at=NOW, updated_at=NOW))
    rep.weekly_summary_mail = True
    password_reset.request_reset(session, rep.email, now=NOW, lifetime=timedelta(hours=1))
    old_login = rep.get_id()
    removed = members.remove_member(session, coach, rep.id, to_id=str(colleague.id), now=NOW)
    assert (removed.customers, removed.to) == (2, colleague)
    assert rep.removed_at == NOW and rep.team_id is None and rep.removed_from_team_id == coach.team_id
    assert rep.get_id() != old_login and not rep.weekly_summary_mail
    assert first.owner_id == colleague.id
    assert session.scalar(select(func.count()).select_from(Touch).where(Touch.user_id == rep.id)) == 1
    assert session.scalar(select(func.count()).select_from(PushSubscription).where(
        PushSubscription.user_id == rep.id)) == 0
    assert session.scalar(select(func.count()).select_from(PasswordReset).where(PasswordReset.user_id == rep.id)) == 0
    assert session.scalar(select(ApiToken.revoked_at).where(ApiToken.user_id == rep.id)) == NOW
    assert tokens.user_for_token(session, token, now=NOW) is None
    assert calendar_feeds.user_for_feed(session, feed) is None
    # No way back in: no password, no reset link, no new account with the address.
    assert accounts.authenticate(session, rep.email, PASSWORD) is rep  # the view refuses it (tested there)
    assert password_reset.request_reset(session, rep.email, now=NOW, lifetime=timedelta(hours=1)).user is None
    invite = invites.create_invite(session, coach, now=NOW).token
    with pytest.raises(Conflict):
        invites.accept_invite(session, invite, name="Rita again", email=rep.email, password=PASSWORD,
                              timezone="UTC", now=NOW)
    assert rep not in accounts.team_members(session, coach)
    assert members.removed_members(session, coach) == [rep]


def test_a_member_with_customers_needs_someone_to_take_them(session, coach, rep, make_customer):
    make_customer(rep, "Waiting AG")
    with pytest.raises(Invalid, match="still has customers"):
        members.remove_member(session, coach, rep.id, now=NOW)
    assert rep.removed_at is None and rep.team_id == coach.team_id


def test_a_member_without_customers_is_removed_without_a_choice(session, coach, rep):
    removed = members.remove_member(session, coach, rep.id, now=NOW)
    assert (removed.customers, removed.to) == (0, None) and rep.removed_at == NOW


def test_nobody_removes_themselves_and_only_an_admin_removes_an_admin(session, admin, coach, rep):
    with pytest.raises(Invalid, match="cannot remove yourself"):
        members.remove_member(session, coach, coach.id, now=NOW)
    with pytest.raises(Invalid, match="Only an admin"):
        members.remove_member(session, coach, admin.id, now=NOW)
    with pytest.raises(NotFound):
        members.remove_member(session, rep, coach.id, now=NOW)
    assert members.remove_member(session, admin, coach.id, now=NOW).member is coach


def test_a_removed_member_is_no_member_any_more(session, coach, rep, colleague):
    members.remove_member(session, coach, rep.id, now=NOW)
    for act in (lambda: members.change_role(session, coach, rep.id, "coach"),
                lambda: members.remove_member(session, coach, rep.id, now=NOW),
                lambda: members.hand_over_customers(session, coach, colleague.id, rep.id)):
        with pytest.raises((NotFound, Invalid)):
            act()


def test_restoring_brings_them_back_as_a_rep(session, admin, coach):
    members.change_role(session, admin, coach.id, "coach")
    members.remove_member(session, admin, coach.id, now=NOW)
    restored = members.restore_member(session, admin, coach.id)
    assert restored.team_id == admin.team_id and restored.role is Role.rep and restored.removed_at is None
    assert accounts.authenticate(session, coach.email, PASSWORD) is coach
    with pytest.raises(NotFound):  # no longer removed
        members.restore_member(session, admin, coach.id)


def test_only_the_team_it_left_restores_a_member(session, make_org, make_user, coach, rep):
    members.remove_member(session, coach, rep.id, now=NOW)
    other_team = make_user(team=make_org(), role=Role.admin)
    with pytest.raises(NotFound):
        members.restore_member(session, other_team, rep.id)
    assert members.removed_members(session, other_team) == []
    with pytest.raises(NotFound):
        members.restore_member(session, make_user(team=coach.team), rep.id)  # a rep of the team
    assert session.get(User, rep.id).removed_at == NOW
