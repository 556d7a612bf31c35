"""Invite rules, against the database session with explicit ``now``."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.kinds import Role
from app.models import Invite, User
from app.operations import Conflict, Invalid, NotFound, invites
from support import NOW, PASSWORD


@pytest.fixture
def coach(make_user):
    return make_user(role=Role.coach, name="Carla Coach")


def _accept(session, token, *, now=NOW, email="new.rep@example.com", **overrides):
    fields = dict(name="New Rep", email=email, password=PASSWORD, timezone="Europe/Vienna", now=now)
    fields.update(overrides)
    return invites.accept_invite(session, token, **fields)


def test_an_invite_stores_only_the_hash_of_its_random_token(session, coach):
    new = invites.create_invite(session, coach, now=NOW)
    assert len(new.token) >= 40
    assert new.invite.token_hash == hashlib.sha256(new.token.encode()).hexdigest()
    stored = session.execute(select(Invite.__table__)).one()._asdict()
    assert new.token not in {str(v) for v in stored.values()}
    assert new.invite.team_id == coach.team_id and new.invite.organization_id == coach.organization_id
    assert new.invite.created_by_id == coach.id


def test_two_invites_get_different_tokens(session, coach):
    assert invites.create_invite(session, coach, now=NOW).token != invites.create_invite(session, coach, now=NOW).token


def test_an_invite_expires_after_seven_days(session, coach):
    token = invites.create_invite(session, coach, now=NOW).token
    assert invites.find_invite(session, token, now=NOW + timedelta(days=7) - timedelta(seconds=1))
    with pytest.raises(NotFound):
        invites.find_invite(session, token, now=NOW + timedelta(days=7))


def test_the_validity_is_configurable(session, coach):
    token = invites.create_invite(session, coach, now=NOW, days=2).token
    with pytest.raises(NotFound):
        invites.find_invite(session, token, now=NOW + timedelta(days=2, minutes=1))


@pytest.mark.parametrize("role", [Role.coach, Role.admin])
def test_coaches_and_admins_may_invite(session, make_user, role):
    assert invites.create_invite(session, make_user(role=role), now=NOW).invite.id


def test_a_rep_cannot_invite_and_learns_nothing(session, make_user):
    with pytest.raises(NotFound):
        invites.create_invite(session, make_user(role=Role.rep), now=NOW)
    assert session.scalar(select(func.count(Invite.id))) == 0


def test_a_coach_without_a_team_cannot_invite(session, coach):
    coach.team_id = None
    with pytest.raises(NotFound):
        invites.create_invite(session, coach, now=NOW)


def test_accepting_creates_a_rep_in_the_team_and_uses_the_invite_up(session, coach):
    new = invites.create_invite(session, coach, now=NOW)
    later = NOW + timedelta(days=3)
    user = _accept(session, new.token, now=later, email="  New.Rep@Example.com ")
    assert user.role == Role.rep
    assert user.team_id == coach.team_id and user.organization_id == coach.organization_id
    assert user.email == "new.rep@example.com" and user.timezone == "Europe/Vienna"
    session.refresh(new.invite)
    assert new.invite.used_at == later and new.invite.used_by_id == user.id


def test_an_invite_works_only_once(session, coach):
    token = invites.create_invite(session, coach, now=NOW).token
    _accept(session, token)
    with pytest.raises(NotFound):
        _accept(session, token, email="second@example.com")
    assert session.scalar(select(func.count(User.id)).where(User.email == "second@example.com")) == 0


def test_an_expired_invite_cannot_be_accepted(session, coach):
    token = invites.create_invite(session, coach, now=NOW).token
    with pytest.raises(NotFound):
        _accept(session, token, now=NOW + timedelta(days=8))


@pytest.mark.parametrize("token", ["", "nope", "x" * 5000, None, 42])
def test_unknown_or_odd_tokens_are_not_found(session, coach, token):
    invites.create_invite(session, coach, now=NOW)
    with pytest.raises(NotFound):
        invites.find_invite(session, token, now=NOW)


def test_bad_fields_are_reported_together_and_leave_the_invite_open_after_rollback(session, coach):
    new = invites.create_invite(session, coach, now=NOW)
    invite_id = new.invite.id
    session.commit()
    with pytest.raises(Invalid) as exc:
        _accept(session, new.token, name="", email="nope", password="short", timezone="Atlantis/Capital")
    assert set(exc.value.fields) == {"name", "email", "password", "timezone"}
    session.rollback()
    assert session.get(Invite, invite_id).used_at is None
    assert _accept(session, new.token).id


def test_a_taken_email_is_a_conflict(session, coach, make_user):
    make_user(email="taken@example.com")
    token = invites.create_invite(session, coach, now=NOW).token
    with pytest.raises(Conflict):
        _accept(session, token, email="Taken@example.com")


def test_open_invites_lists_only_unused_unexpired_invites_of_the_own_team(session, coach, make_user):
    other_coach = make_user(role=Role.coach)  # another organisation
    fresh = invites.create_invite(session, coach, now=NOW).invite
    invites.create_invite(session, coach, now=NOW - timedelta(days=8))  # expired
    used = invites.create_invite(session, coach, now=NOW)
    _accept(session, used.token)
    invites.create_invite(session, other_coach, now=NOW)
    assert invites.open_invites(session, coach, now=NOW) == [fresh]


def test_revoking_ends_an_invite_at_once(session, coach):
    new = invites.create_invite(session, coach, now=NOW)
    invites.revoke_invite(session, coach, new.invite.id, now=NOW + timedelta(hours=1))
    with pytest.raises(NotFound):
        invites.find_invite(session, new.token, now=NOW + timedelta(hours=1))
    assert invites.open_invites(session, coach, now=NOW + timedelta(hours=1)) == []
    # revoking again (a reloaded form) is harmless
    invites.revoke_invite(session, coach, new.invite.id, now=NOW + timedelta(hours=2))


def test_revoking_someone_elses_invite_is_not_found(session, coach, make_user):
    other_coach = make_user(role=Role.coach)
    rep_in_team = make_user(team=coach.team)
    invite = invites.create_invite(session, coach, now=NOW).invite
    for user, invite_id in ((other_coach, invite.id), (rep_in_team, invite.id), (coach, "abc"), (coach, 10**6)):
        with pytest.raises(NotFound):
            invites.revoke_invite(session, user, invite_id, now=NOW)
    assert invites.open_invites(session, coach, now=NOW) == [invite]


def test_a_used_invite_cannot_be_revoked(session, coach):
    new = invites.create_invite(session, coach, now=NOW)
    _accept(session, new.token)
    with pytest.raises(NotFound):
        invites.revoke_invite(session, coach, new.invite.id, now=NOW)


def test_open_invites_are_capped(session, coach, monkeypatch):
    monkeypatch.setattr(invites, "MAX_OPEN", 2)
    invites.create_invite(session, coach, now=NOW)
    invites.create_invite(session, coach, now=NOW)
    with pytest.raises(Invalid) as exc:
        invites.create_invite(session, coach, now=NOW)
    assert "invite" in exc.value.fields


# -- invites by mail ------------------------------------------------------------------------------

def test_an_invite_by_mail_checks_and_normalises_its_address_and_language(session, coach):
    new = invites.create_invite(session, coach, now=NOW, email="  Rita@Example.COM ", locale="de")
    assert (new.email, new.locale) == ("rita@example.com", "de")
    assert new.invite.email is None  # recorded once the mail is out
    invites.record_mailed(session, new.invite, new.email)
    assert session.scalar(select(Invite.email)) == "rita@example.com"


@pytest.mark.parametrize(("email", "locale", "fields"), [
    ("", "en", {"email"}), ("no-at-sign", "de", {"email"}), (None, "en", set()), (["a@b.example"], "en", {"email"}),
    ("rita@example.com", "fr", {"locale"}), ("rita@example.com", None, {"locale"}), ("x", "", {"email", "locale"}),
])
def test_an_invite_by_mail_with_a_bad_field_makes_nothing(session, coach, email, locale, fields):
    if email is None:  # no address: a link to copy, whatever the language says
        assert invites.create_invite(session, coach, now=NOW, email=None, locale=locale).email is None
        return
    with pytest.raises(Invalid) as raised:
        invites.create_invite(session, coach, now=NOW, email=email, locale=locale)
    assert set(raised.value.fields) == fields
    assert session.scalar(select(func.count(Invite.id))) == 0


def test_a_rep_cannot_invite_by_mail_either(session, coach, make_user):
    with pytest.raises(NotFound):
        invites.create_invite(session, make_user(team=coach.team), now=NOW, email="rita@example.com", locale="en")
