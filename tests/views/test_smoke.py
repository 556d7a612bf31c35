"""The app starts, pages answer, sign-in works."""


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b"Sign in" in response.data


def test_signed_out_visitors_get_the_front_door_not_today(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-testid="landing"' in html and 'href="/login"' in html and 'href="/register"' in html
    assert 'data-testid="streak-count"' not in html


def test_today_shows_streak_and_whom_to_touch(client, login, make_user, make_customer):
    rep = make_user()
    make_customer(rep, "Müller AG", tier="A")
    login(rep)
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Müller AG" in html
    assert 'data-testid="streak-count">0<' in html
