"""Inviting a rep by mail from the team page, with a real SMTP server: the mail, its link, a mail server that is down."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.kinds import Role
from app.models import Invite, User
from support import PASSWORD, without_csrf_tokens

pytestmark = pytest.mark.usefixtures("frozen_clock")  # NOW: Friday 27 Nov 2026, 11:00 in Berlin


@pytest.fixture
def coach(make_user, session):
    user = make_user(role=Role.coach, name="Carla Coach", timezone="Europe/Berlin")
    user.team.name = "Nordlicht"
    session.commit()
    return user


def _send(client, email="rita@example.com", locale="en", **kwargs):
    return client.post("/team/invites/mail", data={"email": email, "locale": locale}, **kwargs)


def _join_path(received) -> str:
    links = [link for link in received.links() if "/join/" in link]
    assert len(links) == 1, received.text
    return re.sub(r"^https?://[^/]+", "", links[0])


def test_the_invite_section_has_a_mail_form_in_the_coachs_language(client, login, coach, session):
    coach.locale = "de"
    session.commit()
    login(coach)
    html = client.get("/team/").get_data(as_text=True)
    assert 'action="/team/invites/mail#invites"' in html and 'name="email"' in html
    assert re.search(r'<option value="de" lang="de"\s+selected>', html)


def test_a_mailed_invite_link_joins_the_team_with_the_address_filled_in(app, client, login, coach, session,
                                                                        smtp_server):
    login(coach)
    response = _send(client, "Rita@Example.com")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Invite sent to rita@example.com." in page and "Sent to rita@example.com" in page
    invite = session.scalar(select(Invite))
    assert invite.email == "rita@example.com"
    received = smtp_server.one("rita@example.com")
    assert received.subject == "Carla Coach invites you to Nordlicht on Touchbase"
    assert "Carla Coach invites you to join Nordlicht on Touchbase" in received.text
    assert "December 4, 2026" in received.text or "4 December 2026" in received.text  # 7 days on, in Berlin
    path = _join_path(received)
    assert path in received.html and "Join Nordlicht" in received.html
    assert path not in page  # the link went out by mail; the page does not show it again

    newcomer = app.test_client()
    form = newcomer.get(path).get_data(as_text=True)
    assert 'value="rita@example.com"' in form
    joined = newcomer.post(path, data={"name": "Rita Rep", "email": "rita@example.com", "password": PASSWORD,
                                       "timezone": "Europe/Berlin"})
    assert joined.status_code == 302
    rita = session.scalar(select(User).where(User.email == "rita@example.com"))
    assert rita.team_id == coach.team_id and rita.role == Role.rep
    assert "No open invites." in client.get("/team/").get_data(as_text=True)


def test_over_htmx_the_section_says_where_the_invite_went(client, login, coach, smtp_server):
    login(coach)
    response = _send(client, headers={"HX-Request": "true"})
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section class="card" id="invites"')
    assert "Invite sent to rita@example.com." in html and "Sent to rita@example.com" in html


def test_the_mail_is_in_the_language_the_coach_chose(client, login, coach, smtp_server):
    login(coach)
    _send(client, locale="de")
    received = smtp_server.one("rita@example.com")
    assert received.subject == "Carla Coach lädt dich zu Nordlicht auf Touchbase ein"
    assert "lädt dich ein, dem Team Nordlicht auf Touchbase beizutreten" in received.text
    assert "4. Dezember 2026" in received.text and 'lang="de"' in received.html


def test_when_the_mail_server_is_down_the_invite_is_kept_and_its_link_shown(app, client, login, coach, session,
                                                                            mail_down, caplog):
    caplog.set_level(logging.WARNING, logger="app.mail")
    login(coach)
    response = _send(client, headers={"HX-Request": "true"})
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    assert "The mail to rita@example.com could not be sent right now." in html
    link = re.search(r'id="new-invite-link"[^>]*value="http://localhost(/join/[^"]+)"', html).group(1)
    invite = session.scalar(select(Invite))
    assert invite.email is None and invite.used_at is None
    assert f"mail invite to {_hash('rita@example.com')} not sent: ConnectionRefusedError" in caplog.text
    assert link not in caplog.text
    assert app.test_client().get(link).status_code == 200  # the coach can send it by hand


def test_without_javascript_a_failed_mail_shows_the_whole_page_with_the_link(client, login, coach, mail_down):
    login(coach)
    response = _send(client)
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    assert "<html" in html and "could not be sent right now" in html and 'id="new-invite-link"' in html


@pytest.mark.parametrize(("email", "locale", "fields"), [
    ("", "en", {"email"}),
    ("rita", "en", {"email"}),
    ("rita@example.com", "fr", {"locale"}),
    ("nope", "", {"email", "locale"}),
])
def test_bad_fields_get_422_and_nothing_is_made_or_sent(client, login, coach, session, smtp_server,
                                                       email, locale, fields):
    login(coach)
    response = _send(client, email, locale, headers={"HX-Request": "true"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for field in fields:
        assert f'id="{field}-error"' in html
    assert f'value="{email}"' in html
    assert session.scalar(select(func.count(Invite.id))) == 0 and smtp_server.messages == []


def test_a_rep_cannot_mail_invites(client, login, make_user, coach, session, smtp_server):
    login(make_user(team=coach.team))
    assert _send(client).status_code == 404
    assert session.scalar(select(func.count(Invite.id))) == 0 and smtp_server.messages == []


def test_an_address_with_an_account_anywhere_gets_the_same_answer(client, login, coach, make_user, session,
                                                                 smtp_server):
    make_user(email="taken@example.com")  # in another organisation
    login(coach)
    taken = _send(client, "taken@example.com", headers={"HX-Request": "true"})
    fresh = _send(client, "fresh@example.com", headers={"HX-Request": "true"})
    assert taken.status_code == fresh.status_code == 201
    normalised = [r.get_data(as_text=True).replace(a, "ADDRESS") for r, a in
                  ((taken, "taken@example.com"), (fresh, "fresh@example.com"))]
    assert _without_list(normalised[0]) == _without_list(normalised[1])
    assert len(smtp_server.to("taken@example.com")) == len(smtp_server.to("fresh@example.com")) == 1


def _without_list(html: str) -> str:
    """The page above the open invites list (which names both addresses), CSRF tokens blanked."""
    return without_csrf_tokens(html.split("<h3>", 1)[0])


def _hash(address: str) -> str:
    from app import mail

    return mail.recipient_ref(address)


def test_links_and_mails_share_the_invite_rate_limit(app, coach, database_url, tmp_path, session):
    from smtp_server import SMTPServer

    with SMTPServer() as server:
        fresh = create_app({
            "TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True, "INVITE_RATE_LIMIT": "3 per minute",
            "MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": server.port,
        })
        try:
            client = fresh.test_client()
            assert client.post("/login", data={"email": coach.email, "password": PASSWORD}).status_code == 302
            assert client.post("/team/invites").status_code == 201
            assert _send(client, "a@example.com").status_code == 303
            assert _send(client, "b@example.com").status_code == 303
            limited = _send(client, "c@example.com", headers={"Accept-Language": "de"})
            assert limited.status_code == 429 and "Zu viele Versuche" in limited.get_data(as_text=True)
            assert client.post("/team/invites").status_code == 429
            assert server.to("c@example.com") == []
        finally:
            with fresh.app_context():
                db.session.remove()
                db.engine.dispose()
