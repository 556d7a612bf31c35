"""Touch pages through the client: log in two taps, undo, edit, delete — full page and htmx."""

import json
from datetime import timedelta

import pytest

from app import clock
from app.models import Touch
from app.operations import touches as ops
from app.queries import today as today_q

from support import csrf_token_from

HX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/"}


@pytest.fixture
def rep(make_user, login):
    """A signed-in rep who works every day (so nothing depends on today's weekday)."""
    user = make_user(workdays=[0, 1, 2, 3, 4, 5, 6])
    login(user)
    return user


@pytest.fixture
def customer(rep, make_customer, session):
    """A customer of the rep, quiet for 20 days."""
    c = make_customer(rep, "Müller AG", tier="A", now=clock.now() - timedelta(days=20))
    session.commit()
    return c


def touches_of(session, user):
    session.expire_all()
    return session.query(Touch).filter_by(user_id=user.id, deleted_at=None).all()


def events(response) -> dict:
    return json.loads(response.headers["HX-Trigger"])


def log(client, customer, headers=None, **data):
    form = {"customer_id": customer.id, "kind": "call", "next": "/"}
    form.update(data)
    return client.post("/touches/", data=form, headers=headers or {})


def test_full_page_log_redirects_back_with_an_undo_toast(client, session, rep, customer):
    response = log(client, customer, kind="coffee", note="Cake at Café Central", days_back="1", direction="in")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    [touch] = touches_of(session, rep)
    assert (touch.kind, touch.direction, touch.note, touch.backfilled) == ("coffee", "in", "Cake at Café Central", True)
    page = client.get("/").get_data(as_text=True)
    assert "Logged: Coffee with Müller AG." in page
    assert f'action="/touches/{touch.id}/undo"' in page
    assert 'data-testid="undo-toast"' in page
    # The flash is shown once.
    assert "Logged: Coffee" not in client.get("/").get_data(as_text=True)


def test_next_must_stay_on_this_site(client, rep, customer):
    assert log(client, customer, next="https://evil.example/").headers["Location"] == "/"
    assert log(client, customer, next="//evil.example/").headers["Location"] == "/"
    assert log(client, customer, next="/customers/").headers["Location"] == "/customers/"


def test_htmx_log_answers_a_fragment_an_event_and_an_undo_toast(client, session, rep, customer):
    response = log(client, customer, headers=HX, kind="walk")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert f'id="log-{customer.id}"' in html
    assert "Logged: Walk" in html
    [touch] = touches_of(session, rep)
    detail = events(response)["touch-logged"]
    assert detail == {"id": touch.id, "customer_id": customer.id, "action": "logged"}
    assert 'hx-swap-oob="beforeend:#toasts"' in html
    assert f'hx-post="/touches/{touch.id}/undo"' in html
    assert 'data-toast-seconds="10"' in html
    assert "HX-Request" in response.headers["Vary"]
    session.expire_all()
    assert customer.last_touch_day == touch.local_day


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "other"}, "be creative"),
        ({"kind": "other", "note": "  "}, "be creative"),
        ({"kind": "call", "note": "x" * 2001}, "at most 2000 characters"),
        ({"kind": "fax"}, "Unknown kind of touch"),
        ({"kind": ""}, "Unknown kind of touch"),
        ({"kind": "call", "days_back": "7"}, "today or one of the 6 days before"),
        ({"kind": "call", "days_back": "-1"}, "today or one of the 6 days before"),
        ({"kind": "call", "days_back": "soon"}, "today or one of the 6 days before"),
        ({"kind": "call", "day": "2000-01-01"}, "today or one of the 6 days before"),
        ({"kind": "call", "day": "2999-01-01"}, "today or one of the 6 days before"),
        ({"kind": "call", "day": "27.11.2026"}, "Please enter a date like 2026-12-31"),
        ({"kind": "call", "direction": "up"}, "Direction must be"),
    ],
)
def test_bad_input_is_a_422_with_the_form_and_nothing_is_written(client, session, rep, customer, data, message):
    response = log(client, customer, headers=HX, **data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert "<html" not in html
    assert f'id="log-{customer.id}"' in html
    assert "<details class=\"logtouch-panel\" open>" in html
    assert "HX-Trigger" not in response.headers
    full = log(client, customer, **data)
    assert full.status_code == 422
    assert "<html" in full.get_data(as_text=True) and message in full.get_data(as_text=True)
    assert touches_of(session, rep) == []


def test_the_typed_note_survives_a_422(client, rep, customer):
    response = log(client, customer, headers=HX, kind="other", note="", days_back="2", direction="in")
    html = response.get_data(as_text=True)
    assert 'value="2" checked' in html
    assert 'value="in" checked' in html


@pytest.mark.parametrize("customer_id", ["999999", "abc", "", "-1", "99999999999999999999999"])
def test_unknown_customer_is_a_404(client, rep, customer_id):
    response = client.post("/touches/", data={"customer_id": customer_id, "kind": "call"})
    assert response.status_code == 404


def test_another_organisations_customer_is_a_404(client, session, rep, make_user, make_customer):
    stranger = make_user()
    theirs = make_customer(stranger, "Their AG")
    session.commit()
    assert log(client, theirs).status_code == 404
    assert log(client, theirs, headers=HX).status_code == 404
    assert client.get(f"/touches/new?customer_id={theirs.id}").status_code == 404
    assert touches_of(session, stranger) == [] and touches_of(session, rep) == []


def test_archived_customer_cannot_be_touched(client, session, rep, customer):
    customer.archived_at = clock.now()
    session.commit()
    assert log(client, customer).status_code == 404


def test_csrf_is_required(app, client, rep, customer, session):
    app.config["WTF_CSRF_ENABLED"] = True
    assert log(client, customer).status_code == 400
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    assert log(client, customer, headers={"X-CSRFToken": token, **HX}).status_code == 200
    assert len(touches_of(session, rep)) == 1


def test_undo_with_htmx_takes_the_touch_back_and_fires_the_event(client, session, rep, customer):
    log(client, customer, headers=HX)
    [touch] = touches_of(session, rep)
    response = client.post(f"/touches/{touch.id}/undo", headers=HX)
    assert response.status_code == 200
    assert "Undone: Call with Müller AG." in response.get_data(as_text=True)
    assert events(response)["touch-logged"] == {"id": touch.id, "action": "undone"}
    assert touches_of(session, rep) == []
    assert customer.last_touch_day is None
    today = rep.today(clock.now())
    assert today_q.touches_on(session, rep, today) == 0


def test_undo_without_javascript_redirects_with_a_flash(client, session, rep, customer):
    log(client, customer)
    [touch] = touches_of(session, rep)
    response = client.post(f"/touches/{touch.id}/undo", data={"next": "/touches/"})
    assert response.status_code == 302 and response.headers["Location"] == "/touches/"
    assert "Undone" in client.get("/touches/").get_data(as_text=True)


def test_undo_after_ten_seconds_is_refused(client, session, rep, customer, monkeypatch):
    log(client, customer, headers=HX)
    [touch] = touches_of(session, rep)
    later = touch.created_at + timedelta(seconds=11)
    monkeypatch.setattr(clock, "now", lambda: later)
    response = client.post(f"/touches/{touch.id}/undo", headers=HX)
    assert response.status_code == 422
    assert "Too late to undo" in response.get_data(as_text=True)
    assert "HX-Trigger" not in response.headers
    assert touches_of(session, rep) == [touch]


def test_undo_of_someone_elses_touch_is_a_404(client, session, rep, customer, make_user, make_customer):
    colleague = make_user(team=rep.team)
    theirs = ops.log_touch(session, user=colleague, customer_id=make_customer(colleague).id, kind="call",
                           now=clock.now()).touch
    session.commit()
    assert client.post(f"/touches/{theirs.id}/undo", headers=HX).status_code == 404
    assert client.post(f"/touches/{theirs.id}/edit", data={"kind": "email"}).status_code == 404
    assert client.get(f"/touches/{theirs.id}/edit").status_code == 404
    assert client.get(f"/touches/{theirs.id}").status_code == 404
    assert client.post(f"/touches/{theirs.id}/delete").status_code == 404
    assert client.get(f"/touches/{theirs.id}/delete").status_code == 404
    assert touches_of(session, colleague)[0].kind == "call"


def _logged(client, session, rep, customer, **data):
    log(client, customer, **data)
    return touches_of(session, rep)[-1]


def test_edit_page_and_inline_form(client, session, rep, customer):
    touch = _logged(client, session, rep, customer)
    page = client.get(f"/touches/{touch.id}/edit")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    assert "hx-post" not in page.get_data(as_text=True).split('class="touch-edit"')[1].split(">")[0]
    fragment = client.get(f"/touches/{touch.id}/edit", headers=HX)
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and 'class="touch-edit"' in html and "hx-post" in html
    assert 'value="call" checked' in html


def test_edit_with_htmx_returns_the_row_and_keeps_the_day(client, session, rep, customer):
    touch = _logged(client, session, rep, customer, days_back="1")
    day = touch.local_day
    response = client.post(f"/touches/{touch.id}/edit", headers=HX,
                           data={"kind": "letter", "note": "Thank-you letter", "direction": "in"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and "Letter" in html and "Thank-you letter" in html
    assert events(response)["touch-logged"]["action"] == "edited"
    session.expire_all()
    assert (touch.kind, touch.note, touch.direction, touch.local_day) == ("letter", "Thank-you letter", "in", day)


def test_edit_without_javascript_redirects_and_bad_input_is_422(client, session, rep, customer):
    touch = _logged(client, session, rep, customer)
    bad = client.post(f"/touches/{touch.id}/edit", data={"kind": "other", "note": "", "direction": "out"})
    assert bad.status_code == 422
    assert "be creative" in bad.get_data(as_text=True)
    bad_htmx = client.post(f"/touches/{touch.id}/edit", headers=HX, data={"kind": "call", "note": "y" * 2001})
    assert bad_htmx.status_code == 422 and "<html" not in bad_htmx.get_data(as_text=True)
    session.expire_all()
    assert touch.kind == "call" and touch.note is None
    ok = client.post(f"/touches/{touch.id}/edit", data={"kind": "other", "note": "Sent a jar of honey",
                                                        "direction": "out", "next": "/"})
    assert ok.status_code == 302 and ok.headers["Location"] == "/"
    session.expire_all()
    assert touch.kind == "other" and touch.note == "Sent a jar of honey"


def test_delete_asks_first_then_deletes_and_recomputes_last_touch_day(client, session, rep, customer):
    older = _logged(client, session, rep, customer, days_back="2")
    newer = _logged(client, session, rep, customer)
    session.expire_all()
    assert customer.last_touch_day == newer.local_day
    confirm = client.get(f"/touches/{newer.id}/delete")
    assert confirm.status_code == 200 and "Delete this touch?" in confirm.get_data(as_text=True)
    response = client.post(f"/touches/{newer.id}/delete", data={"next": "/touches/"})
    assert response.status_code == 302 and response.headers["Location"] == "/touches/"
    assert touches_of(session, rep) == [older]
    assert customer.last_touch_day == older.local_day


def test_delete_with_htmx_answers_empty_and_fires_the_event(client, session, rep, customer):
    touch = _logged(client, session, rep, customer)
    response = client.post(f"/touches/{touch.id}/delete", headers=HX)
    assert response.status_code == 200 and response.get_data(as_text=True) == ""
    assert events(response)["touch-logged"]["action"] == "deleted"
    assert touches_of(session, rep) == []
    assert customer.last_touch_day is None
    assert client.post(f"/touches/{touch.id}/delete", headers=HX).status_code == 404


def test_my_touches_page_lists_only_mine(client, session, rep, customer, make_user, make_customer):
    _logged(client, session, rep, customer, kind="gift", note="Honey from the farm market")
    colleague = make_user(team=rep.team)
    ops.log_touch(session, user=colleague, customer_id=make_customer(colleague, "Secret GmbH").id, kind="call",
                  now=clock.now())
    session.commit()
    page = client.get("/touches/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert "Honey from the farm market" in html and "Secret GmbH" not in html
    fragment = client.get("/touches/", headers=HX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="recent"')


def test_log_page_for_one_customer_and_for_picking_one(client, session, rep, customer):
    one = client.get(f"/touches/new?customer_id={customer.id}")
    assert one.status_code == 200
    html = one.get_data(as_text=True)
    assert "Log a touch with Müller AG" in html and "<details class=\"logtouch-panel\" open>" in html
    pick = client.get("/touches/new").get_data(as_text=True)
    assert "Müller AG" in pick and 'name="customer_id"' in pick


def test_all_eleven_kinds_are_offered(client, rep, customer):
    html = client.get("/").get_data(as_text=True)
    for kind in ("call", "email", "letter", "visit", "coffee", "walk", "video", "message", "gift", "event", "other"):
        assert f'name="kind" value="{kind}"' in html
