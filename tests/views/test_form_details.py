"""Small things that cost trust: nothing is cut silently, attributes reach the browser, addresses stay true."""

from __future__ import annotations

import re

import pytest

from app.models import Customer

HX_BOOSTED = {"HX-Request": "true", "HX-Boosted": "true", "HX-Current-URL": "http://localhost/customers/new"}


@pytest.fixture
def rep(make_user, login):
    user = make_user()
    login(user)
    return user


def test_the_cadence_input_gets_its_limits_as_real_attributes(client, rep):
    html = client.get("/customers/new").get_data(as_text=True)
    cadence = re.search(r'<input id="f-cadence_days"[^>]*>', html, re.S).group(0)
    assert 'min="1"' in cadence and 'max="365"' in cadence and 'step="1"' in cadence
    assert 'inputmode="numeric"' in cadence and "&#34;" not in cadence


def test_the_daily_goal_gets_its_limits_too(client, rep):
    goal = re.search(r'<input id="f-daily_goal"[^>]*>', client.get("/settings/").get_data(as_text=True), re.S).group(0)
    assert 'min="1"' in goal and 'max="50"' in goal and "&#34;" not in goal


@pytest.mark.parametrize(("page", "field", "limit"), [
    ("/customers/new", "f-name", 200),
    ("/customers/new", "f-notes", 5000),
    ("/settings/", "f-name", 120),
    ("/settings/", "f-away-note", 200),
])
def test_long_text_fields_count_instead_of_cutting(client, rep, page, field, limit):
    html = client.get(page).get_data(as_text=True)
    tag = re.search(rf'<(?:input|textarea) id="{field}"[^>]*>', html, re.S).group(0)
    assert "maxlength" not in tag  # the browser must not cut a pasted text
    assert f'data-max-chars="{limit}"' in tag and f'{field}-count' in tag
    assert f'<p class="hint counter" id="{field}-count" data-counter="{limit}">At most {limit:d} characters.</p>' in html
    assert 'id="counter-texts"' in html and 'id="counter-live" class="sr-only" aria-live="polite"' in html


def test_a_name_that_is_too_long_is_refused_with_a_message_never_cut(client, session, rep):
    response = client.post("/customers/", data={"name": "N" * 201, "tier": "B"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "At most 200 characters." in html and 'value="' + "N" * 201 + '"' in html
    assert session.query(Customer).count() == 0


def test_the_counter_words_are_german_for_a_german_user(client, make_user, login):
    login(make_user(locale="de"))
    html = client.get("/customers/new").get_data(as_text=True)
    assert "Höchstens 5000 Zeichen." in html
    assert 'data-count="{count} von {max} Zeichen"' in html


def test_a_boosted_form_answered_with_its_form_again_keeps_the_address(client, rep):
    response = client.post("/customers/", data={"name": "", "tier": "B"}, headers=HX_BOOSTED)
    assert response.status_code == 422 and response.headers["HX-Push-Url"] == "false"
    saved = client.post("/customers/", data={"name": "Anna", "tier": "B"}, headers=HX_BOOSTED)
    assert saved.status_code == 303 and "HX-Push-Url" not in saved.headers  # the page it leads to is shown
    assert "HX-Push-Url" not in client.get("/customers/new", headers=HX_BOOSTED).headers
