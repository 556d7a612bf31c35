"""Follow-up operations against a real database session: plan, move, drop, done by a touch, reopened."""

from __future__ import annotations

import os
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from app.extensions import db
from app.kinds import Role
from app.models import Customer, FollowUp, User
from app.operations import Conflict, Invalid, NotFound
from app.operations import customers as customer_ops
from app.operations import follow_ups as ops
from app.operations import touches as touch_ops
from app.queries import follow_ups as follow_ups_q

from support import NOW

TODAY = date(2026, 11, 27)  # NOW in Berlin: Friday
ON_POSTGRES = (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql")


@pytest.fixture
def rep(make_user):
    return make_user(name="Rita Rep")


@pytest.fixture
def customer(rep, make_customer):
    return make_customer(rep, "Müller AG", now=NOW - timedelta(days=30))


def _plan(session, actor, customer, day=TODAY + timedelta(days=3), **kwargs):
    return ops.plan_follow_up(session, actor=actor, customer_id=customer.id, due_day=day, now=kwargs.pop("now", NOW),
                              **kwargs)


def _open_count(session, customer) -> int:
    return session.scalar(select(func.count()).select_from(FollowUp).where(
        FollowUp.customer_id == customer.id, FollowUp.is_open)) or 0


def test_planning_stores_the_day_kind_and_note_for_the_customers_owner(session, rep, customer):
    planned = _plan(session, rep, customer, "2026-12-01", kind="call", note="  Ask about the new order  ")
    follow_up = planned.follow_up
    assert planned.created
    assert (follow_up.due_day, follow_up.kind, follow_up.note) == (date(2026, 12, 1), "call", "Ask about the new order")
    assert (follow_up.user_id, follow_up.created_by_id, follow_up.customer_id) == (rep.id, rep.id, customer.id)
    assert follow_up.created_at == NOW and follow_up.is_open
    assert follow_ups_q.open_for_customer(session, customer.id) is follow_up


def test_a_coach_plans_for_the_rep_who_owns_the_customer(session, make_user, rep, customer):
    coach = make_user(team=rep.team, role=Role.coach)
    follow_up = _plan(session, coach, customer).follow_up
    assert (follow_up.user_id, follow_up.created_by_id) == (rep.id, coach.id)


def test_planning_again_moves_the_open_one(session, rep, customer):
    first = _plan(session, rep, customer, kind="call", note="Call").follow_up
    later = NOW + timedelta(hours=1)
    again = _plan(session, rep, customer, TODAY + timedelta(days=10), kind=None, note=None, now=later)
    assert not again.created and again.follow_up is first
    assert (first.due_day, first.kind, first.note, first.updated_at) == (TODAY + timedelta(days=10), None, None, later)
    assert session.scalar(select(func.count()).select_from(FollowUp)) == 1


def test_move_changes_only_the_fields_given(session, rep, customer):
    follow_up = _plan(session, rep, customer, kind="visit", note="Bring the samples").follow_up
    ops.move_follow_up(session, follow_up, due_day=TODAY, now=NOW)
    assert (follow_up.due_day, follow_up.kind, follow_up.note) == (TODAY, "visit", "Bring the samples")
    ops.move_follow_up(session, follow_up, kind="", note="", now=NOW)
    assert (follow_up.due_day, follow_up.kind, follow_up.note) == (TODAY, None, None)


def test_drop_leaves_nothing_planned_and_a_new_plan_starts_afresh(session, rep, customer):
    follow_up = _plan(session, rep, customer).follow_up
    ops.drop_follow_up(session, follow_up, now=NOW)
    assert follow_up.dropped_at == NOW and not follow_up.is_open
    assert follow_ups_q.open_for_customer(session, customer.id) is None
    with pytest.raises(Conflict):
        ops.drop_follow_up(session, follow_up, now=NOW)
    with pytest.raises(Conflict):
        ops.move_follow_up(session, follow_up, due_day=TODAY, now=NOW)
    fresh = _plan(session, rep, customer)
    assert fresh.created and fresh.follow_up.id != follow_up.id


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"day": TODAY - timedelta(days=1)}, "due_day", "a date in the past"),
        ({"day": "2026-11-26"}, "due_day", "a date in the past"),
        ({"day": TODAY + timedelta(days=366)}, "due_day", "365"),
        ({"day": "2026-02-30"}, "due_day", "like 2026-12-31"),
        ({"day": ""}, "due_day", "choose a day"),
        ({"day": None}, "due_day", "choose a day"),
        ({"day": 20261201}, "due_day", "like 2026-12-31"),
        ({"kind": "fax"}, "kind", "Unknown kind"),
        ({"note": "x" * 501}, "note", "500"),
        ({"note": "a\x00b"}, "note", "cannot be stored"),
        ({"note": 7}, "note", "text"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_written(session, rep, customer, fields, field, message):
    day = fields.pop("day", TODAY + timedelta(days=1))
    with pytest.raises(Invalid) as exc:
        _plan(session, rep, customer, day, **fields)
    assert message in exc.value.fields[field]
    assert session.scalar(select(func.count()).select_from(FollowUp)) == 0


def test_a_note_of_500_characters_is_kept_whole(session, rep, customer):
    assert _plan(session, rep, customer, note="ü" * 500).follow_up.note == "ü" * 500


def test_the_past_is_the_reps_past_in_the_reps_zone(session, make_user, make_customer):
    # 10:00 UTC on Friday is 02:00 in Los Angeles, before the day starts at 03:00: still Thursday there.
    angeleno = make_user(timezone="America/Los_Angeles")
    shop = make_customer(angeleno)
    with pytest.raises(Invalid):
        _plan(session, angeleno, shop, TODAY - timedelta(days=2))
    assert _plan(session, angeleno, shop, TODAY - timedelta(days=1)).follow_up.due_day == date(2026, 11, 26)


def test_another_organisations_or_another_reps_customer_is_not_found(session, make_user, make_customer, rep, customer):
    stranger = make_user()
    teammate = make_user(team=rep.team)
    for actor in (stranger, teammate):
        with pytest.raises(NotFound):
            _plan(session, actor, customer)
    follow_up = _plan(session, rep, customer).follow_up
    for actor in (stranger, teammate):
        with pytest.raises(NotFound):
            ops.get_follow_up(session, actor, follow_up.id)
    assert ops.get_follow_up(session, rep, follow_up.id) is follow_up
    with pytest.raises(NotFound):
        ops.get_follow_up(session, rep, "nope")


def test_an_archived_customer_cannot_get_a_plan(session, rep, customer):
    customer_ops.archive_customer(session, customer, now=NOW)
    with pytest.raises(NotFound):
        _plan(session, rep, customer)


# --- done by a touch, reopened when it goes ------------------------------------------------------


def test_the_next_touch_does_it_even_before_the_due_day(session, rep, customer):
    follow_up = _plan(session, rep, customer, TODAY + timedelta(days=5), kind="visit").follow_up
    touch = touch_ops.log_touch(session, user=rep, customer_id=customer.id, kind="email", direction="in",
                                now=NOW + timedelta(hours=1)).touch
    assert follow_up.done_at == NOW + timedelta(hours=1) and follow_up.done_touch_id == touch.id
    assert follow_ups_q.open_for_customer(session, customer.id) is None


def test_a_replayed_touch_changes_nothing_and_a_touch_to_another_customer_neither(session, rep, customer,
                                                                                   make_customer):
    other = make_customer(rep, "Schmidt KG")
    follow_up = _plan(session, rep, customer).follow_up
    touch_ops.log_touch(session, user=rep, customer_id=other.id, kind="call", now=NOW, client_id="c-1")
    assert follow_up.is_open
    touch_ops.log_touch(session, user=rep, customer_id=other.id, kind="call", now=NOW, client_id="c-1")
    assert follow_up.is_open


def test_a_touch_logged_afterwards_for_a_day_before_the_plan_leaves_it_open(session, rep, customer):
    follow_up = _plan(session, rep, customer).follow_up
    touch_ops.log_touch(session, user=rep, customer_id=customer.id, kind="call", days_back=1, now=NOW)
    assert follow_up.is_open
    touch_ops.log_touch(session, user=rep, customer_id=customer.id, kind="call", now=NOW)
    assert not follow_up.is_open


@pytest.mark.parametrize("how", ["undo", "delete"])
def test_undoing_or_deleting_the_touch_reopens_it(session, rep, customer, how):
    follow_up = _plan(session, rep, customer, TODAY - timedelta(days=0), kind="call").follow_up
    touch = touch_ops.log_touch(session, user=rep, customer_id=customer.id, kind="call", now=NOW).touch
    assert not follow_up.is_open
    if how == "undo":
        touch_ops.undo_touch(session, touch, now=NOW + timedelta(seconds=3))
    else:
        touch_ops.delete_touch(session, touch, now=NOW + timedelta(days=1))
    assert follow_up.is_open and follow_up.done_touch_id is None and follow_up.dropped_at is None
    assert follow_ups_q.open_for_customer(session, customer.id) is follow_up


def test_deleting_the_touch_leaves_it_done_by_the_next_touch_that_is_kept(session, rep, customer):
    follow_up = _plan(session, rep, customer).follow_up
    first = touch_ops.log_touch(session, user=rep, customer_id=customer.id, kind="call", now=NOW).touch
    second = touch_ops.log_touch(session, user=rep, customer_id=customer.id, kind="visit",
                                 now=NOW + timedelta(hours=2)).touch
    touch_ops.delete_touch(session, first, now=NOW + timedelta(hours=3))
    assert not follow_up.is_open and follow_up.done_touch_id == second.id


def test_a_newer_plan_since_keeps_the_old_one_closed(session, rep, customer):
    old = _plan(session, rep, customer).follow_up
    touch = touch_ops.log_touch(session, user=rep, customer_id=customer.id, kind="call", now=NOW).touch
    newer = _plan(session, rep, customer, TODAY + timedelta(days=14), now=NOW + timedelta(minutes=5))
    assert newer.created
    touch_ops.delete_touch(session, touch, now=NOW + timedelta(minutes=10))
    assert not old.is_open and old.dropped_at is not None and old.done_touch_id is None
    assert follow_ups_q.open_for_customer(session, customer.id) is newer.follow_up
    # Dropped meanwhile, the newer plan still counts: the old one does not come back.
    ops.drop_follow_up(session, newer.follow_up, now=NOW + timedelta(minutes=20))
    assert follow_ups_q.open_for_customer(session, customer.id) is None


def test_editing_a_touch_keeps_what_it_did(session, rep, customer):
    # A touch's customer cannot be edited (only kind, note, direction), so the follow-up it did stays done.
    follow_up = _plan(session, rep, customer).follow_up
    touch = touch_ops.log_touch(session, user=rep, customer_id=customer.id, kind="call", now=NOW).touch
    touch_ops.update_touch(session, touch, kind="letter", note="Thank-you card", direction="out", now=NOW)
    assert follow_up.done_touch_id == touch.id and not follow_up.is_open


def test_a_customer_handed_to_another_rep_takes_its_open_plan_along(session, make_user, rep, customer):
    coach = make_user(team=rep.team, role=Role.coach)
    other = make_user(team=rep.team)
    follow_up = _plan(session, rep, customer).follow_up
    customer_ops.edit_customer_as(session, customer, actor=coach, owner_id=str(other.id),
                                  data=customer_ops.CustomerInput(name=customer.name, tier="B"))
    assert follow_up.user_id == other.id
    assert follow_ups_q.own_open(session, other) == [follow_up] and follow_ups_q.own_open(session, rep) == []


def test_own_open_lists_the_users_open_plans_of_active_customers_earliest_first(session, rep, make_customer):
    late = make_customer(rep, "Zander")
    soon = make_customer(rep, "Albers")
    gone = make_customer(rep, "Archived")
    done = make_customer(rep, "Done")
    _plan(session, rep, late, TODAY + timedelta(days=9))
    _plan(session, rep, soon, TODAY)
    _plan(session, rep, gone, TODAY)
    _plan(session, rep, done, TODAY + timedelta(days=1))
    customer_ops.archive_customer(session, gone, now=NOW)
    touch_ops.log_touch(session, user=rep, customer_id=done.id, kind="call", now=NOW)
    assert [f.customer.name for f in follow_ups_q.own_open(session, rep)] == ["Albers", "Zander"]
    assert [f.customer.name for f in follow_ups_q.own_open(session, rep, due_on=TODAY)] == ["Albers"]


# --- one open follow-up per customer, held by the database ------------------------------------------


def test_the_database_refuses_a_second_open_follow_up(session, rep, customer):
    _plan(session, rep, customer)
    session.commit()
    session.add(FollowUp(organization_id=rep.organization_id, customer_id=customer.id, user_id=rep.id,
                         created_by_id=rep.id, due_day=TODAY, created_at=NOW))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    # Closed ones do not count: any number of done or dropped follow-ups may stand beside the open one.
    for closed in ({"done_at": NOW}, {"dropped_at": NOW}, {"dropped_at": NOW}):
        session.add(FollowUp(organization_id=rep.organization_id, customer_id=customer.id, user_id=rep.id,
                             created_by_id=rep.id, due_day=TODAY, created_at=NOW, **closed))
    session.flush()
    assert _open_count(session, customer) == 1


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="parallel writers: PostgreSQL only (SQLite's writers queue)")
def test_two_parallel_plans_leave_one_open_follow_up(app, session, rep, customer):
    session.commit()
    customer_id, rep_id = customer.id, rep.id
    start = threading.Barrier(4)
    results, errors = [], []

    def plan(day: date):
        with app.app_context():
            own = OrmSession(db.engine)
            try:
                start.wait(5)
                planned = ops.plan_follow_up(own, actor=own.get(User, rep_id), customer_id=customer_id, due_day=day,
                                             now=NOW)
                own.commit()
                results.append((planned.created, planned.follow_up.id))
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                own.close()

    threads = [threading.Thread(target=plan, args=(TODAY + timedelta(days=n),)) for n in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    assert sorted(created for created, _id in results) == [False, False, False, True]
    assert len({fid for _created, fid in results}) == 1
    session.expire_all()
    assert _open_count(session, session.get(Customer, customer_id)) == 1
    assert session.scalar(select(func.count()).select_from(FollowUp)) == 1


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="parallel writers: PostgreSQL only")
def test_a_plan_racing_past_the_lock_moves_the_one_the_other_made(app, session, rep, customer):
    """A writer that skips the rep's lock (a bulk insert): the index alone decides, and the plan moves its row."""
    session.commit()
    other = OrmSession(db.engine)
    try:
        # Inserted, not committed, and no lock on the rep: the plan's insert waits on the index entry.
        other.execute(insert(FollowUp).values(organization_id=rep.organization_id, customer_id=customer.id,
                                              user_id=rep.id, created_by_id=rep.id, due_day=TODAY, created_at=NOW))
        finished, results = threading.Event(), []

        def plan():
            with app.app_context():
                own = OrmSession(db.engine)
                try:
                    planned = ops.plan_follow_up(own, actor=own.get(User, rep.id), customer_id=customer.id,
                                                 due_day=TODAY + timedelta(days=7), now=NOW)
                    own.commit()
                    results.append(planned)
                except Exception as exc:  # reported below
                    results.append(exc)
                finally:
                    own.close()
                    finished.set()

        thread = threading.Thread(target=plan)
        thread.start()
        assert not finished.wait(0.5), "the plan did not wait for the other insert"
        assert session.scalar(select(func.count()).select_from(FollowUp)) == 0
        other.commit()
        thread.join(10)
    finally:
        other.close()
    [planned] = results
    assert not isinstance(planned, Exception), planned
    assert not planned.created
    session.expire_all()
    [row] = session.scalars(select(FollowUp)).all()
    assert row.due_day == TODAY + timedelta(days=7)
