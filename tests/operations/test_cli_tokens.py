"""``flask tokens create EMAIL``: prints a working token; an unknown e-mail fails clearly."""

from __future__ import annotations

from app.operations import tokens


def test_tokens_create_prints_a_working_token(runner, client, session, make_user):
    rep = make_user(email="Rep.One@example.com")
    session.commit()
    result = runner.invoke(args=["tokens", "create", "rep.one@EXAMPLE.com", "--name", "CRM sync"])
    assert result.exit_code == 0, result.output
    plaintext = result.output.strip()
    assert plaintext.startswith("tb_") and len(plaintext) > 40

    stored = tokens.list_tokens(session, rep)
    assert [t.name for t in stored] == ["CRM sync"]
    assert stored[0].token_hash == tokens.token_hash(plaintext) and plaintext not in stored[0].token_hash
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})
    assert response.status_code == 200
    assert response.get_json()["user"]["email"] == rep.email


def test_tokens_create_has_a_default_name(runner, session, make_user):
    rep = make_user()
    session.commit()
    result = runner.invoke(args=["tokens", "create", rep.email])
    assert result.exit_code == 0, result.output
    assert [t.name for t in tokens.list_tokens(session, rep)] == ["CLI"]


def test_tokens_create_for_an_unknown_email_fails(runner, session, make_user):
    make_user()
    session.commit()
    result = runner.invoke(args=["tokens", "create", "nobody@example.com"])
    assert result.exit_code != 0
    assert "No user with the e-mail address 'nobody@example.com'" in result.output
    assert "tb_" not in result.output


def test_tokens_create_rejects_a_bad_name(runner, session, make_user):
    rep = make_user()
    session.commit()
    result = runner.invoke(args=["tokens", "create", rep.email, "--name", "x" * 81])
    assert result.exit_code != 0
    assert "name" in result.output
    assert tokens.list_tokens(session, rep) == []
