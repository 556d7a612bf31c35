"""The trend charts' coverage in SQL agrees with ``warmth.status``, customer by customer and week by week.

``queries.trends.coverage`` counts, in one statement, which customers were not quiet at each
week's end. Here the same is computed in Python with ``warmth.status`` — the last non-deleted
touch on or before the week's last day, the cadence of that time (crisis cadences in a crisis
week), paused, archived and not yet created customers left out — over threshold cases around
every cadence and a few hundred random ones, on the real database (SQLite and PostgreSQL).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from datetime import date, datetime, time, timedelta

import pytest

from app import clock, warmth
from app.models import Customer, Touch
from app.queries import common as common_q
from app.queries import trends as trends_q
from support import NOW

CADENCES = (1, 2, 3, 5, 7, 10, 14, 30, 100, 365)
TODAY = date(2026, 11, 27)  # a Friday: the last week is partial


def _weeks(crisis: list[bool]) -> list[trends_q.Week]:
    weeks = []
    for index, (first, last) in enumerate(trends_q.week_days(TODAY, len(crisis))):
        partial = first <= TODAY <= last
        upto = TODAY if partial else last
        until = NOW if partial else clock.day_bounds(upto, "Europe/Berlin", 3)[1]
        weeks.append(trends_q.Week(index, first, last, upto, until, crisis[index], crisis[index], partial))
    return weeks


def _day_counts(cadence: int) -> list[int]:
    """Days since the last touch around every threshold, calm and in crisis."""
    counts = {0, 1, 2, cadence - 1, cadence, cadence + 1}
    for c in (cadence, common_q.effective_cadence(cadence, crisis=True)):
        counts |= {warmth.warming_after(c), math.floor(c), math.floor(c) + 1}
    return sorted(n for n in counts if n >= 0)


def _expected(customers: list[Customer], touches: dict[int, list[tuple[date, bool]]], weeks, tiers):
    """Count per week and tier as the pages would: warmth.status on the week's last day."""
    counted, warm = Counter(), Counter()
    for week in weeks:
        for c in customers:
            if str(c.tier) not in tiers or c.created_day > week.upto:
                continue
            if c.archived_at is not None and c.archived_at <= week.until:
                continue
            last = max((day for day, deleted in touches.get(c.id, ()) if not deleted and day <= week.upto),
                       default=None)
            state = warmth.status(last_touch_day=last, created_day=c.created_day, today=week.upto,
                                  cadence_days=common_q.effective_cadence(c.cadence_days, crisis=week.crisis),
                                  paused_until=c.paused_until)
            if state is warmth.Warmth.paused:
                continue
            counted[week.index, str(c.tier)] += 1
            warm[week.index, str(c.tier)] += state is not warmth.Warmth.quiet
    return counted, warm


def _add(session, owner, *, tier, cadence, created_day, paused_until=None, archived_at=None):
    customer = Customer(organization_id=owner.organization_id, owner_id=owner.id, name=f"{tier}{cadence}",
                        tier=tier, cadence_days=cadence, created_at=NOW - timedelta(days=400),
                        created_day=created_day, paused_until=paused_until, archived_at=archived_at)
    session.add(customer)
    session.flush()
    return customer


def _touch(session, owner, customer, day: date, deleted: bool = False):
    at = datetime.combine(day, time(11), clock.UTC)
    session.add(Touch(organization_id=owner.organization_id, user_id=owner.id, customer_id=customer.id, kind="call",
                      occurred_at=at, local_day=day, created_at=at, deleted_at=at if deleted else None))


@pytest.mark.parametrize("crisis", [[False] * 4, [True] * 4, [False, True, False, True]],
                         ids=["calm", "crisis", "alternating"])
def test_sql_coverage_matches_warmth_status_at_every_threshold(session, make_org, make_user, crisis):
    team = make_org()
    owner = make_user(team=team)
    weeks = _weeks(crisis)
    customers, touches = [], {}
    for cadence in CADENCES:
        for week in weeks:
            for days in _day_counts(cadence):
                for tier in ("A", "B", "C"):
                    start = week.upto - timedelta(days=days)
                    touched = days % 2 == 0
                    c = _add(session, owner, tier=tier, cadence=cadence,
                             created_day=start - timedelta(days=5) if touched else start)
                    customers.append(c)
                    if touched:
                        touches[c.id] = [(start, False)]
                        _touch(session, owner, c, start)
    session.flush()
    for tiers in (("A", "B"), ("A", "B", "C")):
        got = trends_q.coverage(session, owner.organization_id, [owner.id], weeks, tiers=tiers)
        counted, warm = _expected(customers, touches, weeks, tiers)
        for week, cell in zip(weeks, got):
            for tier in tiers:
                assert (cell.counted.get(tier, 0), cell.warm.get(tier, 0)) == \
                    (counted[week.index, tier], warm[week.index, tier]), (week.index, tier)
    assert sum(warm.values()) and sum(counted.values()) > sum(warm.values())  # both kinds occur


def test_sql_coverage_matches_warmth_status_on_random_histories(session, make_org, make_user):
    rng = random.Random(20261127)  # nosec B311  # reproducible test data
    team = make_org()
    owners = [make_user(team=team), make_user(team=team, timezone="America/New_York")]
    other = make_user()  # another organisation's customers never count
    weeks = _weeks([rng.random() < 0.4 for _ in range(8)])
    first = weeks[0].first - timedelta(days=60)
    span = (TODAY - first).days
    customers, touches = [], {}
    for n in range(260):
        owner = owners[n % 2]
        created = first + timedelta(days=rng.randrange(span + 3))
        paused = None if rng.random() < 0.7 else created + timedelta(days=rng.randrange(span))
        archived = None if rng.random() < 0.8 else NOW - timedelta(days=rng.randrange(70), hours=rng.randrange(24))
        c = _add(session, owner, tier=rng.choice("ABC"), cadence=rng.choice(CADENCES), created_day=created,
                 paused_until=paused, archived_at=archived)
        customers.append(c)
        for _ in range(rng.randrange(6)):
            day = created + timedelta(days=rng.randrange(1, span + 5))
            deleted = rng.random() < 0.2
            touches.setdefault(c.id, []).append((day, deleted))
            _touch(session, owner, c, day, deleted)
    stranger = _add(session, other, tier="A", cadence=7, created_day=first)
    _touch(session, other, stranger, TODAY)
    session.flush()
    got = trends_q.coverage(session, team.organization_id, [o.id for o in owners], weeks, tiers=("A", "B", "C"))
    counted, warm = _expected(customers, touches, weeks, ("A", "B", "C"))
    assert [{t: (cell.counted.get(t, 0), cell.warm.get(t, 0)) for t in "ABC"} for cell in got] == \
        [{t: (counted[w.index, t], warm[w.index, t]) for t in "ABC"} for w in weeks]
    assert sum(counted.values()) > 500


def test_coverage_without_weeks_or_owners_is_empty(session, make_user):
    rep = make_user()
    assert trends_q.coverage(session, rep.organization_id, [rep.id], []) == []
    [cell] = trends_q.coverage(session, rep.organization_id, [], _weeks([False]))
    assert cell.percent(("A", "B")) is None and cell.of("AB") == (0, 0)


def test_touches_count_in_the_week_of_their_local_day(session, make_org, make_user, make_customer, frozen_clock):
    from app.kinds import Role

    team = make_org()
    coach = make_user(team=team, role=Role.coach)
    rep = make_user(team=team)
    customer = make_customer(rep, "Müller AG", now=NOW - timedelta(days=200))
    first = date(2026, 9, 7)  # the first Monday of the twelve weeks up to Friday 27 Nov
    for day, kind, deleted in ((first - timedelta(days=1), "call", False), (first, "call", False),
                               (first + timedelta(days=6), "visit", False), (first + timedelta(days=7), "call", False),
                               (first + timedelta(days=7), "letter", True), (TODAY, "walk", False)):
        _touch(session, rep, customer, day, deleted)
        session.flush()
        session.query(Touch).order_by(Touch.id.desc()).first().kind = kind
    session.flush()
    trends = trends_q.team_trends(session, coach, now=NOW)
    assert trends.weeks[0].first == first and trends.weeks[-1].partial
    assert list(trends.touches) == [2, 1] + [0] * 9 + [1]
    assert list(trends.kinds) == [2, 1] + [0] * 9 + [1]
    assert list(trends.reps[0].touches) == list(trends.touches)
    mine = trends_q.rep_trend(session, rep, now=NOW)
    assert list(mine.touches) == list(trends.touches) and list(mine.kinds) == list(trends.kinds)
