"""The front door: signed-out visitors at / get the landing page in their browser's language; reps get Today."""

from __future__ import annotations

import re


def test_the_landing_page_says_what_it_is_and_offers_sign_in_and_a_new_team(client):
    response = client.get("/", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Silence tells a customer that they don’t matter." in html
    assert "the orders afterwards go to the rep who kept in touch" in html
    assert re.search(r'<a class="button primary" href="/login"[^>]*>Sign in</a>', html)
    assert re.search(r'<a class="button" href="/register"[^>]*>Start a team</a>', html)
    assert html.count("<h2>") == 3  # three feature points
    assert "Accept-Language" in response.headers["Vary"]


def test_the_screenshot_is_lazy_with_its_size_and_alt_text(client):
    html = client.get("/").get_data(as_text=True)
    img = re.search(r"<img [^>]*today-narrow\.png[^>]*>", html).group(0)
    assert 'width="390"' in img and 'height="844"' in img and 'loading="lazy"' in img
    assert re.search(r'alt="[^"]{20,}"', img)


def test_the_landing_page_in_german_follows_accept_language(client):
    html = client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"}).get_data(as_text=True)
    assert '<html lang="de">' in html
    assert "Schweigen sagt einem Kunden, dass er nicht zählt." in html
    assert ">Anmelden</a>" in html and ">Team gründen</a>" in html


def test_no_tracking_and_no_script_of_its_own(client):
    html = client.get("/").get_data(as_text=True)
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert all(src.startswith("/static/js/") for src in scripts)
    assert not re.search(r"https?://(?!localhost)", re.sub(r'content="[^"]*"', "", html).replace("http://www.w3.org", ""))


def test_a_signed_in_rep_at_the_front_door_gets_today(client, login, make_user):
    login(make_user())
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="streak-count"' in html and 'data-testid="landing"' not in html


def test_the_installed_app_signed_out_opens_the_sign_in_page_not_the_landing_page(client):
    response = client.get("/?source=pwa")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"] and "source%3Dpwa" in response.headers["Location"]
