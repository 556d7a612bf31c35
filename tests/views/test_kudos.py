"""Coach kudos: scarce (3 a coach a month, in the coach's zone), team only, once per touch, badge for the rep."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.kinds import Role
from app.models import BadgeAward, Kudos
from app.operations import Invalid, NotFound
from app.operations import kudos as kudos_ops
from app.operations import touches as touch_ops
from support import NOW

HX = {"HX-Request": "true"}


pytestmark = pytest.mark.usefixtures("frozen_clock")  # NOW: Friday 27 Nov 2026, 11:00 in Berlin


@pytest.fixture
def team(make_org):
    return make_org("Kudos GmbH")


@pytest.fixture
def coach(make_user, team):
    return make_user(team=team, role=Role.coach, name="Carla Coach")


@pytest.fixture
def rep(make_user, team):
    return make_user(team=team, name="Rita Rep", workdays=[0, 1, 2, 3, 4, 5, 6])


@pytest.fixture
def touches(session, rep, make_customer):
    """Five touches of the rep, with five customers."""
    made = []
    for n in range(5):
        customer = make_customer(rep, f"Customer {n}", now=NOW)
        made.append(touch_ops.log_touch(session, user=rep, customer_id=customer.id, kind="other",
                                        note=f"Idea {n}", now=NOW).touch)
    session.commit()
    return made


def kudos_count(session, **where) -> int:
    return session.scalar(select(func.count(Kudos.id)).filter_by(**where))


def test_a_kudos_earns_the_rep_the_coach_kudos_badge(session, coach, rep, touches):
    given = kudos_ops.give(session, coach, touches[0].id, note="Lovely idea!", now=NOW)
    assert [b.code for b in given.badges] == ["coach_kudos"]
    assert (given.kudos.rep_id, given.kudos.month, given.kudos.note) == (rep.id, "2026-11", "Lovely idea!")
    assert session.scalar(select(BadgeAward.code).where(BadgeAward.user_id == rep.id, BadgeAward.code == "coach_kudos"))
    # A second kudos (another touch) counts, but the badge is not awarded twice.
    assert kudos_ops.give(session, coach, touches[1].id, now=NOW).badges == ()


def test_at_most_three_a_month_then_a_clear_refusal(session, coach, touches):
    for touch in touches[:3]:
        kudos_ops.give(session, coach, touch.id, now=NOW)
    with pytest.raises(Invalid) as refused:
        kudos_ops.give(session, coach, touches[3].id, now=NOW)
    assert "all 3 kudos for this month" in refused.value.fields["kudos"]
    assert "December 1, 2026" in refused.value.fields["kudos"]
    # Next month there are three again: 1 December 03:30 in Berlin is the coach's first local
    # day of December (a local day starts at 03:00).
    kudos_ops.give(session, coach, touches[3].id, now=datetime(2026, 12, 1, 2, 30, tzinfo=timezone.utc))
    assert kudos_count(session, coach_id=coach.id, month="2026-12") == 1


def test_the_month_is_the_coachs_local_month(session, make_user, team, touches):
    # 30 Nov 23:30 UTC is 1 Dec 08:30 in Tokyo: a December kudos for a Tokyo coach.
    tokyo = make_user(team=team, role=Role.coach, timezone="Asia/Tokyo")
    given = kudos_ops.give(session, tokyo, touches[0].id, now=datetime(2026, 11, 30, 23, 30, tzinfo=timezone.utc))
    assert given.kudos.month == "2026-12"


def test_once_per_touch(session, coach, touches):
    kudos_ops.give(session, coach, touches[0].id, now=NOW)
    with pytest.raises(Invalid) as refused:
        kudos_ops.give(session, coach, touches[0].id, now=NOW)
    assert "already" in refused.value.fields["touch"]


def test_not_for_ones_own_touch(session, coach, make_customer):
    own = make_customer(coach, now=NOW)
    touch = touch_ops.log_touch(session, user=coach, customer_id=own.id, kind="call", now=NOW).touch
    with pytest.raises(Invalid):
        kudos_ops.give(session, coach, touch.id, now=NOW)


def test_only_coaches_and_only_for_their_team(session, coach, rep, touches, make_user, make_org):
    with pytest.raises(NotFound):
        kudos_ops.give(session, rep, touches[0].id, now=NOW)  # a rep is no coach
    other_team_coach = make_user(team=make_org(), role=Role.coach)
    with pytest.raises(NotFound):
        kudos_ops.give(session, other_team_coach, touches[0].id, now=NOW)
    touch_ops.delete_touch(session, touches[1], now=NOW)
    with pytest.raises(NotFound):
        kudos_ops.give(session, coach, touches[1].id, now=NOW)  # deleted
    with pytest.raises(NotFound):
        kudos_ops.give(session, coach, "nope", now=NOW)


def test_a_note_of_at_most_500_characters(session, coach, touches):
    with pytest.raises(Invalid) as refused:
        kudos_ops.give(session, coach, touches[0].id, note="x" * 501, now=NOW)
    assert "note" in refused.value.fields
    assert kudos_ops.give(session, coach, touches[0].id, note="x" * 500, now=NOW).kudos.note == "x" * 500


# --- Pages -----------------------------------------------------------------------------------


def test_coach_sees_the_reps_touches_and_gives_kudos_with_htmx(client, session, login, coach, rep, touches):
    login(coach)
    page = client.get(f"/team/reps/{rep.id}/touches")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('data-testid="give-kudos"') == 5 and "You can give 3 more kudos this month." in html
    response = client.post(f"/team/reps/{rep.id}/touches/{touches[0].id}/kudos", data={"note": "Bravo"},
                           headers=HX)
    assert response.status_code == 200
    assert 'data-testid="kudos-given"' in response.get_data(as_text=True)
    assert "kudos-given" in response.headers["HX-Trigger"]
    left = client.get(f"/team/reps/{rep.id}/touches?part=left", headers=HX).get_data(as_text=True)
    assert "2 more kudos" in left and "<html" not in left


def test_the_fourth_kudos_is_a_422_with_a_clear_message(client, session, login, coach, rep, touches):
    login(coach)
    for touch in touches[:3]:
        assert client.post(f"/team/reps/{rep.id}/touches/{touch.id}/kudos").status_code == 303
    htmx = client.post(f"/team/reps/{rep.id}/touches/{touches[3].id}/kudos", headers=HX)
    assert htmx.status_code == 422
    assert "You have given all 3 kudos for this month" in htmx.get_data(as_text=True)
    plain = client.post(f"/team/reps/{rep.id}/touches/{touches[3].id}/kudos", data={"note": "Again"})
    assert plain.status_code == 422
    assert "You have given all 3 kudos for this month" in plain.get_data(as_text=True)
    assert kudos_count(session, coach_id=coach.id) == 3


def test_kudos_pages_are_404_for_others(client, session, login, coach, rep, touches, make_user, make_org):
    login(rep)  # a rep is no coach
    assert client.get(f"/team/reps/{rep.id}/touches").status_code == 404
    assert client.post(f"/team/reps/{rep.id}/touches/{touches[0].id}/kudos").status_code == 404
    stranger = make_user(team=make_org(), role=Role.coach)
    client.post("/logout")
    login(stranger)
    assert client.get(f"/team/reps/{rep.id}/touches").status_code == 404
    assert client.post(f"/team/reps/{rep.id}/touches/{touches[0].id}/kudos").status_code == 404
    client.post("/logout")
    login(coach)
    assert client.get(f"/team/reps/{coach.id}/touches").status_code == 404  # not oneself
    other_rep = make_user(team=coach.team)
    # A touch of another rep under this rep's URL is a 404 too.
    assert client.post(f"/team/reps/{other_rep.id}/touches/{touches[0].id}/kudos").status_code == 404
    assert kudos_count(session) == 0


def test_the_rep_sees_the_kudos_and_the_badge_on_the_badge_page(client, session, login, coach, rep, touches):
    kudos_ops.give(session, coach, touches[2].id, note="Great creative touch", now=NOW)
    session.commit()
    login(rep)
    html = client.get("/badges").get_data(as_text=True)
    assert 'data-code="coach_kudos"' in html and "Kudos from a coach" in html
    assert "Great creative touch" in html and "Carla Coach" in html


def test_the_coachs_badge_page_links_the_team(client, session, login, coach, rep):
    login(coach)
    html = client.get("/badges").get_data(as_text=True)
    assert f'/team/reps/{rep.id}/touches' in html and "You can give 3 more kudos this month." in html


def test_march_after_february(session, coach, touches):
    feb = datetime(2027, 2, 28, 12, tzinfo=timezone.utc)
    for touch in touches[:3]:
        kudos_ops.give(session, coach, touch.id, now=feb)
    assert kudos_ops.left_this_month(session, coach, now=feb) == 0
    assert kudos_ops.left_this_month(session, coach, now=feb + timedelta(days=1)) == 3
