"""Challenge pages through the client: list, create (422s), the board, lazy finalizing, privacy."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.kinds import Role
from app.models import Challenge, ChallengeResult
from app.operations import touches

from support import NOW


@pytest.fixture
def team(make_org):
    return make_org()


@pytest.fixture
def coach(make_user, team):
    return make_user(team=team, role=Role.coach, name="Coach Carla")


@pytest.fixture
def clock_at(monkeypatch):
    moment = {"now": NOW}
    monkeypatch.setattr(clock, "now", lambda: moment["now"])
    return moment


def _challenge(session, coach, *, starts_at=NOW - timedelta(days=1), ends_at=NOW + timedelta(days=2), **fields):
    fields.setdefault("metric", "team_touches")
    fields.setdefault("target", 4)
    challenge = Challenge(
        organization_id=coach.organization_id, team_id=coach.team_id, created_by_id=coach.id, title="Push week",
        starts_at=starts_at, ends_at=ends_at, created_at=starts_at, **fields,
    )
    session.add(challenge)
    session.commit()
    return challenge


def _rep(make_user, team, **kwargs):
    rep = make_user(team=team, **kwargs)
    rep.created_at = NOW - timedelta(days=30)
    return rep


def test_coach_creates_a_challenge_and_lands_on_its_page(client, login, coach, clock_at, session):
    login(coach)
    assert client.get("/challenges/new").status_code == 200
    response = client.post("/challenges/", data={
        "title": "Letters week", "metric": "kinds_used", "target": "5",
        "starts_at": "2026-11-30T08:00", "ends_at": "2026-12-04T18:00",
    })
    assert response.status_code == 303
    challenge = session.scalar(select(Challenge))
    assert response.headers["Location"].endswith(f"/challenges/{challenge.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Letters week" in page and "Starts soon" in page
    assert "Letters week" in client.get("/challenges/").get_data(as_text=True)


def test_bad_challenge_input_is_a_422_with_the_form_and_nothing_saved(client, login, coach, clock_at, session):
    login(coach)
    response = client.post("/challenges/", data={
        "title": "Too long", "metric": "coverage", "target": "150",
        "starts_at": "2026-11-30T08:00", "ends_at": "2026-11-29T18:00",
    })
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'data-testid="challenge-errors"' in html
    assert "The end must come after the start." in html and "from 1 to 100" in html
    assert session.scalar(select(Challenge)) is None


def test_a_rep_cannot_create_challenges(client, login, make_user, team, clock_at):
    rep = make_user(team=team)
    login(rep)
    assert client.get("/challenges/new").status_code == 404
    assert client.post("/challenges/", data={"title": "x"}).status_code == 404


def test_the_board_shows_team_progress_my_part_and_the_ranking(client, login, make_user, make_customer, coach, team, session, clock_at):
    anna, ben = _rep(make_user, team, name="Anna"), _rep(make_user, team, name="Ben")
    hidden = _rep(make_user, team, name="Hidden Hugo", hide_from_rankings=True)
    challenge = _challenge(session, coach, target=6)  # own targets 2 each
    for rep, n in ((anna, 2), (ben, 1), (hidden, 1)):
        customer = make_customer(rep, now=NOW - timedelta(days=10))
        for i in range(n):
            touches.log_touch(session, user=rep, customer_id=customer.id, kind=["call", "letter"][i], now=NOW - timedelta(hours=3 - i))
    login(ben)
    html = client.get(f"/challenges/{challenge.id}").get_data(as_text=True)
    assert re.search(r'<progress id="team-progress" max="100" value="66"', html)
    assert "4 of 6" in html
    ranking = html[html.index('data-testid="ranking"'):]
    assert ranking.index("Anna") < ranking.index("Ben")
    assert "Hidden Hugo" not in html
    assert "1 rep is hidden from rankings and still counts for the team." in html
    assert "your own target: 1 of 2" in html


def test_another_teams_challenge_is_a_404(client, login, make_user, make_org, coach, session, clock_at):
    challenge = _challenge(session, coach)
    stranger = make_user(team=make_org())
    login(stranger)
    assert client.get(f"/challenges/{challenge.id}").status_code == 404


def test_viewing_an_ended_challenge_finalizes_it_once(client, login, make_user, make_customer, coach, team, session, clock_at):
    rep = _rep(make_user, team)
    challenge = _challenge(session, coach, target=1, starts_at=NOW - timedelta(days=2), ends_at=NOW - timedelta(hours=1))
    customer = make_customer(rep, now=NOW - timedelta(days=10))
    touches.log_touch(session, user=rep, customer_id=customer.id, kind="visit", now=NOW - timedelta(hours=2))
    session.commit()
    login(rep)
    html = client.get(f"/challenges/{challenge.id}").get_data(as_text=True)
    assert "Final result" in html
    client.get(f"/challenges/{challenge.id}")
    session.expire_all()
    assert challenge.finalized_at is not None
    assert len(session.scalars(select(ChallengeResult)).all()) == 1


def test_privacy_switch_hides_me_from_rankings(client, login, make_user, team, session):
    rep = make_user(team=team)
    login(rep)
    assert "Hide me from rankings" in client.get("/settings/").get_data(as_text=True)
    response = client.post("/challenges/privacy", data={"hide_from_rankings": "1"})
    assert response.status_code == 303
    session.expire_all()
    assert rep.hide_from_rankings is True
    partial = client.post("/challenges/privacy", data={}, headers={"HX-Request": "true"})
    assert partial.status_code == 200 and 'id="privacy"' in partial.get_data(as_text=True)
    session.expire_all()
    assert rep.hide_from_rankings is False


def test_board_partial_refreshes_only_the_board(client, login, make_user, coach, team, session, clock_at):
    rep = _rep(make_user, team)
    challenge = _challenge(session, coach)
    login(rep)
    response = client.get(f"/challenges/{challenge.id}?part=board", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert 'id="board"' in html and "<html" not in html


# --- the life cycle: edit, end early, delete -------------------------------------------------------


def test_the_coach_sees_how_to_manage_and_a_rep_does_not(client, app, login, coach, team, make_user, clock_at,
                                                         session):
    rep = _rep(make_user, team)
    challenge = _challenge(session, coach)
    login(coach)
    html = client.get(f"/challenges/{challenge.id}").get_data(as_text=True)
    manage = html.split('data-testid="manage-challenge"')[1].split("</section>")[0]
    for action in ("edit", "end", "delete"):
        assert f'href="/challenges/{challenge.id}/{action}"' in manage
    rep_client = app.test_client()
    rep_client.post("/login", data={"email": rep.email, "password": "correct horse battery"})
    assert "manage-challenge" not in rep_client.get(f"/challenges/{challenge.id}").get_data(as_text=True)
    for path in ("edit", "end", "delete"):
        assert rep_client.get(f"/challenges/{challenge.id}/{path}").status_code == 404
        assert rep_client.post(f"/challenges/{challenge.id}/{path}").status_code == 404


def test_editing_through_the_form_with_a_422_next_to_the_field(client, login, coach, team, make_user, clock_at,
                                                               session):
    _rep(make_user, team)
    challenge = _challenge(session, coach)
    login(coach)
    form = client.get(f"/challenges/{challenge.id}/edit").get_data(as_text=True)
    assert 'value="Push week"' in form and 'value="2026-11-29T11:00"' in form
    bad = client.post(f"/challenges/{challenge.id}/edit", data={"title": "Push week", "target": "4",
                                                                "ends_at": "2026-11-20T10:00"})
    assert bad.status_code == 422
    assert 'id="ends_at-error"' in bad.get_data(as_text=True) and "The end must come after the start." in bad.get_data(
        as_text=True)
    ok = client.post(f"/challenges/{challenge.id}/edit", data={"title": "Longer push", "description": "Keep going",
                                                               "target": "6", "ends_at": "2026-12-02T18:00"})
    assert ok.status_code == 303 and ok.headers["Location"] == f"/challenges/{challenge.id}"
    page = client.get(ok.headers["Location"]).get_data(as_text=True)
    assert "Challenge saved." in page and "Longer push" in page and "Keep going" in page
    session.expire_all()
    assert (challenge.title, challenge.target) == ("Longer push", 6)


def test_ending_early_asks_first_then_freezes_the_results(client, login, coach, team, make_user, clock_at, session):
    _rep(make_user, team)
    challenge = _challenge(session, coach)
    login(coach)
    ask = client.get(f"/challenges/{challenge.id}/end")
    assert ask.status_code == 200 and "End “Push week” now?" in ask.get_data(as_text=True)
    done = client.post(f"/challenges/{challenge.id}/end")
    assert done.status_code == 303 and done.headers["Location"] == f"/challenges/{challenge.id}"
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "The challenge has ended. Its results are final." in page and "Final result" in page
    session.expire_all()
    assert challenge.finalized_at == NOW and challenge.ends_at == NOW
    again = client.post(f"/challenges/{challenge.id}/end")
    assert again.status_code == 422 and "This challenge has already ended." in again.get_data(as_text=True)
    closed = client.get(f"/challenges/{challenge.id}/edit").get_data(as_text=True)
    assert 'data-testid="challenge-ended"' in closed and "<form method=\"post\" action=\"/challenges/" not in closed


def test_deleting_is_refused_with_a_message_once_somebody_progressed(client, login, coach, team, make_user,
                                                                     make_customer, clock_at, session):
    rep = _rep(make_user, team)
    challenge = _challenge(session, coach)
    empty = _challenge(session, coach, starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=3))
    touches.log_touch(session, user=rep, customer_id=make_customer(rep).id, kind="call", now=NOW)
    session.commit()
    login(coach)
    assert "manage-challenge" in (page := client.get(f"/challenges/{challenge.id}").get_data(as_text=True))
    assert f"/challenges/{challenge.id}/delete" not in page  # not offered: somebody progressed
    refused = client.post(f"/challenges/{challenge.id}/delete")
    assert refused.status_code == 422
    assert "Somebody has already made progress in this challenge" in refused.get_data(as_text=True)
    assert session.get(Challenge, challenge.id) is not None
    deleted = client.post(f"/challenges/{empty.id}/delete")
    assert deleted.status_code == 303 and deleted.headers["Location"] == "/challenges/"
    assert "Challenge deleted: Push week." in client.get("/challenges/").get_data(as_text=True)
    session.expire_all()
    assert session.get(Challenge, empty.id) is None


def test_the_life_cycle_pages_speak_german(client, login, make_user, team, clock_at, session):
    german = make_user(team=team, role=Role.coach, locale="de")
    challenge = _challenge(session, german)
    login(german)
    page = client.get(f"/challenges/{challenge.id}").get_data(as_text=True)
    assert "Diese Challenge verwalten" in page and "Jetzt beenden" in page
    assert "„Push week“ jetzt beenden?" in client.get(f"/challenges/{challenge.id}/end").get_data(as_text=True)
    assert "Challenge bearbeiten" in client.get(f"/challenges/{challenge.id}/edit").get_data(as_text=True)
