"""Password reset rules against the database session, with explicit ``now``."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.models import PasswordReset
from app.operations import Invalid, NotFound, accounts, password_reset
from support import NOW, PASSWORD

HOUR = timedelta(hours=1)
NEW = "a brand new passphrase"


@pytest.fixture
def rita(make_user):
    return make_user(email="rita@example.com")


def _count(session) -> int:
    return session.scalar(select(func.count(PasswordReset.id)))


def test_only_the_hash_of_a_random_token_is_stored(session, rita):
    asked = password_reset.request_reset(session, "rita@example.com", now=NOW, lifetime=HOUR)
    assert asked.user == rita and asked.address == "rita@example.com" and len(asked.token) >= 40
    row = session.execute(select(PasswordReset.__table__)).one()._asdict()
    assert row["token_hash"] == hashlib.sha256(asked.token.encode()).hexdigest()
    assert asked.token not in {str(value) for value in row.values()}
    assert row["expires_at"] - row["created_at"] == HOUR


def test_an_address_without_an_account_writes_nothing_and_is_returned_checked(session, rita):
    asked = password_reset.request_reset(session, " Nobody@Example.COM ", now=NOW, lifetime=HOUR)
    assert (asked.user, asked.token, asked.address) == (None, None, "nobody@example.com")
    assert _count(session) == 0


@pytest.mark.parametrize("email", [None, "", "no-at-sign", ["rita@example.com"], "a" * 250 + "@example.com"])
def test_a_malformed_address_is_invalid(session, rita, email):
    with pytest.raises(Invalid) as raised:
        password_reset.request_reset(session, email, now=NOW, lifetime=HOUR)
    assert set(raised.value.fields) == {"email"}
    assert _count(session) == 0


def test_asking_again_replaces_the_earlier_link(session, rita):
    first = password_reset.request_reset(session, rita.email, now=NOW, lifetime=HOUR).token
    second = password_reset.request_reset(session, rita.email, now=NOW + timedelta(minutes=1), lifetime=HOUR).token
    with pytest.raises(NotFound):
        password_reset.find_reset(session, first, now=NOW + timedelta(minutes=2))
    assert password_reset.find_reset(session, second, now=NOW + timedelta(minutes=2)).user_id == rita.id
    assert _count(session) == 1


def test_a_link_is_open_until_it_expires(session, rita):
    token = password_reset.request_reset(session, rita.email, now=NOW, lifetime=HOUR).token
    assert password_reset.find_reset(session, token, now=NOW + HOUR - timedelta(seconds=1))
    with pytest.raises(NotFound):
        password_reset.find_reset(session, token, now=NOW + HOUR)


def test_a_new_password_ends_every_session_and_uses_the_link_up(session, rita):
    token = password_reset.request_reset(session, rita.email, now=NOW, lifetime=HOUR).token
    before = rita.session_token
    user = password_reset.reset_password(session, token, password=NEW, confirm=NEW, now=NOW)
    assert user == rita and rita.session_token != before
    assert accounts.verify_password(rita, NEW) and not accounts.verify_password(rita, PASSWORD)
    assert session.scalar(select(PasswordReset.used_at)) == NOW
    with pytest.raises(NotFound):
        password_reset.reset_password(session, token, password="another passphrase", confirm="another passphrase",
                                      now=NOW)
    assert accounts.verify_password(rita, NEW)


@pytest.mark.parametrize(("password", "confirm", "fields"), [
    ("short", "short", {"password"}),
    ("x" * 300, "x" * 300, {"password"}),
    (NEW, "something else", {"confirm_password"}),
    (None, None, {"password"}),
    ([NEW], NEW, {"password"}),
])
def test_a_refused_password_changes_nothing_and_keeps_the_link_open(session, rita, password, confirm, fields):
    token = password_reset.request_reset(session, rita.email, now=NOW, lifetime=HOUR).token
    before = (rita.password_hash, rita.session_token)
    with pytest.raises(Invalid) as raised:
        password_reset.reset_password(session, token, password=password, confirm=confirm, now=NOW)
    assert set(raised.value.fields) == fields
    assert (rita.password_hash, rita.session_token) == before
    assert password_reset.find_reset(session, token, now=NOW)


@pytest.mark.parametrize("token", [None, "", "unknown", "x" * 201, 42])
def test_anything_but_an_open_token_is_not_found(session, rita, token):
    with pytest.raises(NotFound):
        password_reset.find_reset(session, token, now=NOW)
