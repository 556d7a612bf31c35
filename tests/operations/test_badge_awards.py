"""Badges awarded by touch writes: once per user and badge, under replays and concurrent touches."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app import badges
from app.extensions import db
from app.models import BadgeAward, Touch
from app.operations import awards
from app.operations import touches as ops
from support import NOW

TODAY = date(2026, 11, 27)


@pytest.fixture
def rep(make_user):
    """A rep in Berlin who works every day."""
    return make_user(workdays=[0, 1, 2, 3, 4, 5, 6])


@pytest.fixture
def customer(rep, make_customer):
    """A customer of the rep, created today."""
    return make_customer(rep, "Müller AG", tier="A", now=NOW)


def codes(session, rep) -> list[str]:
    return sorted(session.scalars(select(BadgeAward.code).where(BadgeAward.user_id == rep.id)))


def log(session, rep, customer, kind="call", **kwargs):
    kwargs.setdefault("now", NOW)
    return ops.log_touch(session, user=rep, customer_id=customer.id, kind=kind, **kwargs)


def test_the_first_touch_earns_first_touch_once(session, rep, customer):
    first = log(session, rep, customer, "call")
    assert [b.code for b in first.badges] == ["first_touch"]
    award = session.scalar(select(BadgeAward).where(BadgeAward.user_id == rep.id))
    assert (award.code, award.touch_id, award.local_day, award.announced_at) == (
        "first_touch", first.touch.id, TODAY, None)
    assert log(session, rep, customer, "call").badges == ()
    assert codes(session, rep) == ["first_touch"]


def test_a_replay_awards_nothing(session, rep, customer):
    log(session, rep, customer, "walk", client_id="c-1")
    again = log(session, rep, customer, "walk", client_id="c-1")
    assert again.badges == () and not again.created
    assert codes(session, rep) == ["first_dog_walk", "first_touch"]


def test_a_kind_badge_lands_with_the_touch_that_earns_it(session, rep, customer):
    for _ in range(9):  # capped after two: the badge counts letters, not points
        log(session, rep, customer, "letter")
    assert "ten_letters" not in codes(session, rep)
    tenth = log(session, rep, customer, "letter")
    assert [b.code for b in tenth.badges] == ["ten_letters"]


def test_rescuing_a_customer_quiet_for_70_days_earns_welcome_back_and_lifeline(session, rep, make_customer):
    quiet = make_customer(rep, "Old Friend", tier="B", now=NOW - timedelta(days=70))
    logged = log(session, rep, quiet, "letter")
    assert logged.touch.rescue
    assert {"welcome_back", "lifeline"} <= {b.code for b in logged.badges}
    assert awards.max_quiet_days_rescued(session, rep) == 70


def test_a_shorter_rescue_earns_welcome_back_only_and_shows_lifeline_progress(session, rep, make_customer):
    quiet = make_customer(rep, "Drifting", tier="A", now=NOW - timedelta(days=20))
    assert {b.code for b in log(session, rep, quiet, "call").badges} >= {"welcome_back"}
    assert "lifeline" not in codes(session, rep)
    stats = awards.build_stats(session, rep, today=TODAY, full=True)
    assert badges.get("lifeline").progress_label(stats, "en") == "20/60 quiet days"


def test_an_edit_that_completes_a_badge_awards_it(session, rep, make_customer):
    touch = log(session, rep, make_customer(rep, now=NOW), "call").touch
    assert "first_dog_walk" not in codes(session, rep)
    ops.update_touch(session, touch, kind="walk", note=None, direction="out", now=NOW)
    assert [b.code for b in ops.award_after_edit(session, touch, now=NOW)] == ["first_dog_walk"]


def test_a_badge_is_kept_when_the_touch_that_earned_it_is_deleted(session, rep, customer):
    logged = log(session, rep, customer, "coffee")
    ops.delete_touch(session, logged.touch, now=NOW)
    assert codes(session, rep) == ["coffee_and_cake", "first_touch"]


def test_build_stats_counts_from_the_database(session, rep, customer, make_customer):
    log(session, rep, customer, "letter")
    log(session, rep, make_customer(rep, now=NOW), "letter", direction="in")
    log(session, rep, make_customer(rep, now=NOW), "coffee", days_back=1)
    deleted = log(session, rep, make_customer(rep, now=NOW), "visit").touch
    ops.delete_touch(session, deleted, now=NOW)
    stats = awards.build_stats(session, rep, today=TODAY, full=True)
    assert stats.total_touches == 3
    assert dict(stats.touches_by_kind) == {"letter": 1, "coffee": 1}  # outbound only
    assert stats.kinds_this_week == 2
    assert (stats.current_streak, stats.longest_streak) == (2, 2)
    assert (stats.customers, stats.quiet_customers) == (4, 0)
    assert badges.get("ten_letters").progress_label(stats, "de") == "1/10 Briefe"


def test_costly_fields_are_skipped_once_their_badges_are_held(session, rep, make_customer):
    quiet = make_customer(rep, tier="A", now=NOW - timedelta(days=30))
    log(session, rep, quiet, "call")
    everything = set(badges.BADGES)
    lean = awards.build_stats(session, rep, today=TODAY, held=everything)
    full = awards.build_stats(session, rep, today=TODAY, held=everything, full=True)
    assert (lean.max_quiet_days_rescued, lean.customers, lean.perfect_weeks) == (0, 0, 0)
    assert (full.max_quiet_days_rescued, full.customers) == (30, 1)


@pytest.mark.parametrize("field", sorted(awards.COSTLY))
def test_only_the_listed_badges_read_a_costly_field(field):
    """Guard for COSTLY: any other badge gives the same answer whatever the field's value."""
    readers = awards.COSTLY[field]
    twins = {"customers": ("quiet_customers",)}.get(field, ())
    for low, high in ((0, 1), (0, 1000), (3, 70)):
        base = badges.Stats(total_touches=5, current_streak=3, longest_streak=9, rescues=1)
        a = replace(base, **{field: low}, **{t: 0 for t in twins})
        b = replace(base, **{field: high}, **{t: high // 2 for t in twins})
        for badge in badges.BADGES.values():
            if badge.code in readers:
                continue
            assert badge.earned(a) == badge.earned(b), badge.code
            assert badge.progress(a) == badge.progress(b), badge.code


def _in_threads(app, jobs):
    """Run each job at once in its own thread and database session, as a writing request."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)
    errors: list = []

    def run(i, job):
        with app.test_request_context(method="POST"):
            try:
                barrier.wait(timeout=10)
                results[i] = job(db.session)
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - reported below
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    return results


def _touch_job(user_id, customer_id, kind, client_id=None):
    from app.models import User

    def job(session):
        user = session.get(User, user_id)
        logged = ops.log_touch(session, user=user, customer_id=customer_id, kind=kind, now=NOW, client_id=client_id)
        return logged.created, tuple(b.code for b in logged.badges), logged.points.points

    return job


def test_two_concurrent_touches_of_one_rep_award_each_badge_once(app, session, rep, make_customer):
    a, b = make_customer(rep, now=NOW), make_customer(rep, now=NOW)
    session.commit()
    results = _in_threads(app, [_touch_job(rep.id, a.id, "coffee"), _touch_job(rep.id, b.id, "coffee")])
    session.commit()  # end this session's snapshot, to see what the threads wrote
    assert codes(session, rep) == ["coffee_and_cake", "first_touch"]
    won = [set(codes_) for _created, codes_, _pts in results]
    assert sorted(map(sorted, won)) == [[], ["coffee_and_cake", "first_touch"]]
    assert session.scalar(select(func.count(Touch.id)).where(Touch.user_id == rep.id)) == 2


def test_a_concurrent_replay_stores_one_touch_one_entry_and_one_award(app, session, rep, customer):
    session.commit()
    job = _touch_job(rep.id, customer.id, "walk", client_id="same-id")
    results = _in_threads(app, [job, job])
    session.commit()  # end this session's snapshot, to see what the threads wrote
    assert sorted(created for created, _codes, _pts in results) == [False, True]
    created_points = [pts for created, _codes, pts in results if created]
    assert created_points == [11]
    # The replay waited for the first transaction and answers its points.
    assert [pts for _c, _codes, pts in results] == [11, 11], results
    assert session.scalar(select(func.count(Touch.id)).where(Touch.user_id == rep.id)) == 1
    from app.models import PointsEntry

    assert session.scalar(select(func.count(PointsEntry.id)).where(PointsEntry.user_id == rep.id)) == 1
    assert codes(session, rep) == ["first_dog_walk", "first_touch"]


def test_grant_is_idempotent(session, rep):
    assert awards.grant(session, rep, "storm_rider", now=NOW) is True
    assert awards.grant(session, rep, "storm_rider", now=NOW) is False
    assert codes(session, rep) == ["storm_rider"]
