"""The nudge scan's warmth in SQL agrees with ``warmth.status``, row by row, on the real database."""

from __future__ import annotations

import math
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import and_, select

from app import warmth
from app.models import Customer, Team, User
from app.nudges import snapshot
from app.queries import common as common_q
from support import NOW

TODAY = date(2026, 6, 10)  # the scan's latest local day; the second owner is a day behind it
CADENCES = (1, 2, 3, 5, 7, 10, 14, 30, 100, 365)  # 100: 0.49 c is whole, the crisis edge


def _day_counts(cadence: int, crisis: bool) -> list[int]:
    """Days since the last touch around every threshold: ceil(0.7 c), c, c + 1, and the crisis ones."""
    counts = {0, 1, 2, cadence - 1, cadence, cadence + 1, cadence + 2}
    for c in (cadence, common_q.effective_cadence(cadence, crisis=True)):
        warm = warmth.warming_after(c)
        counts |= {warm - 1, warm, warm + 1, math.floor(c), math.floor(c) + 1}
    return sorted(n for n in counts if n >= 0)


@pytest.mark.parametrize("crisis", [False, True], ids=["calm", "crisis"])
@pytest.mark.parametrize("cadence", CADENCES)
def test_sql_warmth_matches_warmth_status(session, make_org, make_user, cadence, crisis):
    team = make_org()
    if crisis:
        team.crisis_since = NOW
    utc = make_user(team=team, timezone="UTC")
    behind = make_user(team=team, timezone="America/Los_Angeles")
    todays = {utc.id: TODAY, behind.id: TODAY - timedelta(days=1)}
    expected: dict[int, warmth.Warmth] = {}
    for owner in (utc, behind):
        today = todays[owner.id]
        for days in _day_counts(cadence, crisis):
            for touched in (True, False):
                for paused_until in (None, today - timedelta(days=1), today, today + timedelta(days=1)):
                    start = today - timedelta(days=days)
                    customer = Customer(
                        organization_id=owner.organization_id, owner_id=owner.id, name=f"d{days}",
                        cadence_days=cadence, paused_until=paused_until, created_at=NOW,
                        created_day=start - timedelta(days=3) if touched else start,
                        last_touch_day=start if touched else None,
                    )
                    session.add(customer)
                    session.flush()
                    expected[customer.id] = warmth.status(
                        last_touch_day=customer.last_touch_day, created_day=customer.created_day, today=today,
                        cadence_days=common_q.effective_cadence(cadence, crisis=crisis), paused_until=paused_until,
                    )
    reps = {
        u.id: SimpleNamespace(today=todays[u.id], timezone=u.timezone, day_start_hour=u.day_start_hour)
        for u in (utc, behind)
    }
    _days, quiet, warming, _urgency, where = snapshot._warmth_sql(session, reps, list(reps), max_today=TODAY)
    not_paused = where[-1]
    rows = session.execute(
        select(Customer.id, quiet, warming, not_paused, and_(*where))
        .select_from(Customer)
        .join(User, User.id == Customer.owner_id)
        .outerjoin(Team, Team.id == User.team_id)
        .where(Customer.owner_id.in_(list(reps)))
    ).all()
    assert len(rows) == len(expected)
    got = {}
    for cid, is_quiet, is_warming, is_not_paused, included in rows:
        if not is_not_paused:
            got[cid] = warmth.Warmth.paused
        elif not included:  # outside the scan's cheap superset: at most green
            got[cid] = warmth.Warmth.green
        elif is_quiet:
            got[cid] = warmth.Warmth.quiet
        elif is_warming:
            got[cid] = warmth.Warmth.warming
        else:
            got[cid] = warmth.Warmth.green
    assert got == expected
