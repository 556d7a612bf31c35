"""Sign up, sign in, sign out, reset a forgotten password, and join a team through an invite link."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import Blueprint, current_app, flash, g, redirect, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from .. import clock, mail, redirects
from ..extensions import config_limit, db, limiter
from ..htmx import render
from ..operations import Conflict, Invalid, NotFound, accounts, invites, password_reset

bp = Blueprint("auth", __name__)


_login_limit = config_limit("LOGIN_RATE_LIMIT")


def _not_created() -> str:
    """Return the one message for a sign-up that clashes with an existing account.

    It names no field and says nothing about the address, so the form cannot be used to test
    which e-mail addresses have an account (beyond what being let in at all tells).
    """
    return _("We could not create an account with these details. If you already have one, sign in instead.")


def _safe_next(target: str | None) -> str:
    """Return *target* when it is a path on this site (``redirects.local_path``), else the Today page."""
    return redirects.local_path(target) or url_for("today.index")


def _browser_locale() -> str | None:
    return request.accept_languages.best_match(current_app.config["LANGUAGES"])


def _fields(*names: str) -> dict[str, str]:
    return {name: request.form.get(name, "") for name in names}


def _login_account() -> str:
    """Key the per-account sign-in limit by the e-mail address tried, normalised, hashed."""
    email = accounts.normalize_email(request.form.get("email", ""), check=False)
    return "login-account:" + hashlib.sha256(email.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _signed_in(user) -> None:
    """Start the user's session with a new CSRF token: one planted before sign-in is worthless."""
    session.pop("csrf_token", None)
    g.pop("csrf_token", None)
    login_user(user, remember=True)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(config_limit("LOGIN_ACCOUNT_RATE_LIMIT"), key_func=_login_account, methods=["POST"])
def login():
    """Sign in with e-mail and password."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    values = _fields("email")
    error = None
    if request.method == "POST":
        email, password = request.form.get("email", ""), request.form.get("password", "")
        if not email.strip() or not password:
            error = _("Please enter your e-mail and password.")
        else:
            user = accounts.authenticate(db.session, email, password)
            if user is not None and user.removed_at is not None:
                # Told only to whoever knows the password: the account is closed, not unknown.
                db.session.rollback()
                error = _("This account was removed from its team. Ask your coach to restore it.")
            elif user is not None:
                db.session.commit()  # a rehashed password is kept
                _signed_in(user)
                return redirect(_safe_next(request.args.get("next")))
            else:
                error = _("E-mail or password is wrong.")
    return render("auth/login.html", values=values, error=error, next_target=redirects.local_path(request.args.get("next")),
                  status=422 if error else 200)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(config_limit("REGISTER_RATE_LIMIT"), methods=["POST"])
def register():
    """Create an organisation with one team; the first user becomes its admin and coach."""
    if current_user.is_authenticated:
        return redirect(url_for("today.index"))
    values = _fields("name", "organization", "email", "timezone")
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            result = accounts.register(
                db.session,
                org_name=values["organization"],
                email=values["email"],
                password=request.form.get("password", ""),
                name=values["name"],
                timezone=values["timezone"] or "UTC",
                locale=_browser_locale(),
                now=clock.now(),
            )
        except Invalid as exc:
            db.session.rollback()
            errors = exc.fields
        except Conflict:
            db.session.rollback()
            errors = {"email": _not_created()}
        else:
            db.session.commit()
            _signed_in(result.user)
            flash(_("Welcome to Touchbase! Add your first customers to get started."))
            return redirect(url_for("customers.new"))
    return render(
        "auth/register.html", values=values, errors=errors, zones=clock.zone_choices(), status=422 if errors else 200
    )


@bp.post("/logout")
@login_required
def logout():
    """Sign out: end this and every copied session of the user."""
    accounts.end_sessions(current_user)
    db.session.commit()
    logout_user()
    flash(_("You are signed out."))
    return redirect(url_for("auth.login"))


@bp.route("/join/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def join(token: str):
    """Join a team as a rep through a coach's invite link."""
    now = clock.now()
    try:
        invite = invites.find_invite(db.session, token, now=now)
    except NotFound:
        return render("auth/join_invalid.html", status=404)
    team_name = invite.team.name
    if current_user.is_authenticated:
        return render("auth/join.html", team_name=team_name, token=token, signed_in=True,
                      values={}, errors={}, zones=[], status=409 if request.method == "POST" else 200)
    values = _fields("name", "email", "timezone")
    if request.method == "GET" and invite.email:
        values["email"] = invite.email  # the address the invite was mailed to
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            user = invites.accept_invite(
                db.session,
                token,
                name=values["name"],
                email=values["email"],
                password=request.form.get("password", ""),
                timezone=values["timezone"] or "UTC",
                locale=_browser_locale(),
                now=now,
            )
        except NotFound:
            db.session.rollback()
            return render("auth/join_invalid.html", status=404)
        except Invalid as exc:
            db.session.rollback()
            errors = exc.fields
        except Conflict:
            db.session.rollback()
            errors = {"email": _not_created()}
        else:
            db.session.commit()
            _signed_in(user)
            flash(_("Welcome to %(team)s! Add your first customers to get started.", team=team_name))
            return redirect(url_for("customers.new"))
    return render("auth/join.html", team_name=team_name, token=token, signed_in=False, values=values,
                  errors=errors, zones=clock.zone_choices(), status=422 if errors else 200)



# --- a forgotten password ---

def _reset_address_key() -> str:
    """Key the per-address limit of reset mails by a hash of the address asked about, as sign-in finds it."""
    wanted = accounts.normalize_email(request.form.get("email", ""), check=False)
    return "reset-address:" + hashlib.sha256(wanted.encode("utf-8", "surrogatepass")).hexdigest()


def _mail_reset(asked: password_reset.ResetRequest) -> None:
    """Mail the reset link to an account's address, or the notice that there is no account; raise ``MailError``."""
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    if asked.user is not None:
        mail.send("password_reset", to=asked.address, user_id=asked.user.id,
                  locale=asked.user.locale or str(get_locale()), subject=_l("Reset your Touchbase password"),
                  template="password_reset", name=asked.user.name, minutes=minutes,
                  link=mail.link("auth.reset_password", token=asked.token))
    else:
        mail.send("password_reset_no_account", to=asked.address, locale=str(get_locale()),
                  subject=_l("Your Touchbase password reset"), template="password_reset_no_account",
                  address=asked.address, forgot_link=mail.link("auth.forgot_password"),
                  register_link=mail.link("auth.register"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(config_limit("PASSWORD_RESET_RATE_LIMIT"), methods=["POST"])
@limiter.limit(config_limit("PASSWORD_RESET_EMAIL_RATE_LIMIT"), methods=["POST"], key_func=_reset_address_key)
def forgot_password():
    """Ask for a password reset link by mail; the answer is the same whether the address has an account or not.

    Every valid request sends a mail: the link to an account's address, a short notice to any
    other address. So every answer waits for a mail to go out, a mail server that is down fails
    every request alike (503, nothing kept), and no answer tells whether an account exists.
    """
    values = _fields("email")
    if request.method == "GET":
        return render("auth/forgot.html", values=values, errors={}, sent=request.args.get("sent") == "1")
    lifetime = timedelta(minutes=current_app.config["PASSWORD_RESET_MINUTES"])
    try:
        asked = password_reset.request_reset(db.session, values["email"], now=clock.now(), lifetime=lifetime)
    except Invalid as exc:
        db.session.rollback()
        return render("auth/forgot.html", values=values, errors=exc.fields, status=422)
    try:
        _mail_reset(asked)
    except mail.MailError:
        db.session.rollback()  # no link is kept that no mail carries
        return render("auth/forgot.html", values=values, errors={}, unavailable=True, status=503)
    db.session.commit()
    # A page of its own to land on: reloading it asks for nothing and sends no second mail.
    return redirect(url_for("auth.forgot_password", sent=1), 303)


def _no_store(response):
    """Keep a page with a reset token out of every cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def reset_password(token: str):
    """Set a new password through a reset link, then sign in; every other session ends.

    An unknown, used or expired link gets one page with 410 Gone.
    """
    now = clock.now()
    try:
        reset = password_reset.find_reset(db.session, token, now=now)
    except NotFound:
        return _no_store(render("auth/reset_invalid.html", status=410))
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            user = password_reset.reset_password(db.session, token, password=request.form.get("password", ""),
                                                 confirm=request.form.get("confirm_password", ""), now=now)
        except NotFound:
            db.session.rollback()
            return _no_store(render("auth/reset_invalid.html", status=410))
        except Invalid as exc:
            db.session.rollback()
            errors = exc.fields
        else:
            db.session.commit()
            _signed_in(user)
            flash(_("Your new password is set. You are signed in, and signed out everywhere else."))
            return redirect(url_for("today.index"))
    return _no_store(render("auth/reset.html", token=token, email=reset.user.email, errors=errors,
                            status=422 if errors else 200))
