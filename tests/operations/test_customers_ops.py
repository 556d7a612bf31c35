"""Customer operations against a real session: validation, owners, counts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.kinds import Role, Tier
from app.models import Customer
from app.operations import Invalid, NotFound
from app.operations import customers as ops
from app.queries import customers as customers_q
from app.statuses import Status
from support import NOW


def test_empty_cadence_follows_the_tier(session, make_user):
    rep = make_user()
    for tier, days in (("A", 7), ("b", 14), ("C", 30)):
        customer = ops.create_customer(session, owner=rep, data=ops.CustomerInput(name="X", tier=tier, cadence_days=""), now=NOW)
        assert customer.cadence_days == days
        assert customer.tier == Tier(tier.upper())


def test_every_field_problem_is_reported_at_once(session, make_user):
    rep = make_user()
    data = ops.CustomerInput(
        name="  ", email="not-an-email", phone="call me", tier="D", cadence_days="366", paused_until="31/12/2026"
    )
    with pytest.raises(Invalid) as exc:
        ops.create_customer(session, owner=rep, data=data, now=NOW)
    assert set(exc.value.fields) == {"name", "email", "phone", "tier", "cadence_days", "paused_until"}
    assert session.scalar(select(func.count(Customer.id))) == 0


@pytest.mark.parametrize("cadence", ["0", "-3", "1.5", "abc", "366"])
def test_cadence_outside_one_to_365_is_refused(session, make_user, cadence):
    rep = make_user()
    with pytest.raises(Invalid) as exc:
        ops.create_customer(session, owner=rep, data=ops.CustomerInput(name="X", cadence_days=cadence), now=NOW)
    assert "cadence_days" in exc.value.fields


def test_created_day_is_the_owners_local_day(session, make_user):
    rep = make_user(timezone="Pacific/Auckland")
    customer = ops.create_customer(session, owner=rep, data=ops.CustomerInput(name="Kiwi"), now=NOW)
    assert customer.created_day == date(2026, 11, 27)  # 23:00 in Auckland, after the 03:00 day start


def test_coach_may_hand_a_customer_to_a_rep_of_the_team(session, make_org, make_user):
    team = make_org()
    coach = make_user(team=team, role=Role.coach)
    rep = make_user(team=team)
    customer = ops.create_customer_as(session, actor=coach, data=ops.CustomerInput(name="Ann"), now=NOW, owner_id=str(rep.id))
    assert customer.owner_id == rep.id
    assert {u.id for u in ops.team_members(session, coach)} == {coach.id, rep.id}


def test_coach_without_a_choice_owns_the_customer(session, make_org, make_user):
    coach = make_user(team=make_org(), role=Role.coach)
    customer = ops.create_customer_as(session, actor=coach, data=ops.CustomerInput(name="Ann"), now=NOW, owner_id="")
    assert customer.owner_id == coach.id


def test_owner_outside_the_team_is_refused_with_the_other_field_errors(session, make_org, make_user):
    team = make_org()
    coach = make_user(team=team, role=Role.coach)
    other_team = make_org()
    stranger = make_user(team=other_team)
    with pytest.raises(Invalid) as exc:
        ops.create_customer_as(session, actor=coach, data=ops.CustomerInput(name=""), now=NOW, owner_id=stranger.id)
    assert set(exc.value.fields) == {"owner_id", "name"}
    with pytest.raises(Invalid):
        ops.create_customer_as(session, actor=coach, data=ops.CustomerInput(name="A"), now=NOW, owner_id="abc")


def test_a_reps_owner_choice_is_ignored(session, make_org, make_user):
    team = make_org()
    rep = make_user(team=team)
    colleague = make_user(team=team)
    customer = ops.create_customer_as(session, actor=rep, data=ops.CustomerInput(name="A"), now=NOW, owner_id=colleague.id)
    assert customer.owner_id == rep.id
    assert ops.team_members(session, rep) == [rep]


def test_coach_edit_reassigns_and_keeps_owner_when_none_chosen(session, make_org, make_user, make_customer):
    team = make_org()
    coach = make_user(team=team, role=Role.coach)
    rep, rep2 = make_user(team=team), make_user(team=team)
    customer = make_customer(rep, "Moved")
    ops.edit_customer_as(session, customer, actor=coach, data=ops.CustomerInput(name="Moved", tier="A"), owner_id=None)
    assert customer.owner_id == rep.id and customer.cadence_days == 7
    ops.edit_customer_as(session, customer, actor=coach, data=ops.CustomerInput(name="Moved"), owner_id=rep2.id)
    session.expire_all()
    assert session.get(Customer, customer.id).owner_id == rep2.id


def test_failed_edit_changes_nothing(session, make_user, make_customer):
    rep = make_user()
    customer = make_customer(rep, "Stays", tier="A")
    with pytest.raises(Invalid):
        ops.edit_customer_as(session, customer, actor=rep, data=ops.CustomerInput(name="New", cadence_days="0"))
    assert customer.name == "Stays" and customer.cadence_days == 7


def test_archive_and_restore(session, make_user, make_customer):
    rep = make_user()
    customer = make_customer(rep)
    ops.archive_customer(session, customer, now=NOW)
    with pytest.raises(NotFound):
        ops.get_customer(session, rep, customer.id, include_archived=False)
    assert customers_q.archived_count(session, rep) == 1
    assert customers_q.customer_rows(session, rep, today=NOW.date()) == []
    ops.restore_customer(session, customer)
    assert customers_q.archived_count(session, rep) == 0


def test_status_counts_cover_every_status(session, make_user, make_customer):
    rep = make_user()
    today = NOW.date()
    make_customer(rep, "Fresh", tier="A")
    make_customer(rep, "Touched", tier="A").last_touch_day = today
    make_customer(rep, "Old", tier="A", now=NOW - timedelta(days=20))
    make_customer(rep, "Resting", paused_until=(today + timedelta(days=3)).isoformat())
    counts = customers_q.status_counts(customers_q.customer_rows(session, rep, today=today))
    assert counts == {Status.new: 1, Status.green: 1, Status.warming: 0, Status.quiet: 1, Status.paused: 1}


def test_archived_count_sees_only_visible_customers(session, make_org, make_user, make_customer):
    rep = make_user()
    other = make_user()
    for owner in (rep, other):
        ops.archive_customer(session, make_customer(owner), now=NOW)
    assert customers_q.archived_count(session, rep) == 1
