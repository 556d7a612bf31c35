"""Sign up, sign in, sign out."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired

from .. import clock
from ..extensions import db, limiter
from ..htmx import render
from ..operations import Conflict, Invalid
from ..operations import accounts

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("today.index")


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = EmailField(validators=[DataRequired()])
    password = PasswordField(validators=[DataRequired()])


class RegisterForm(FlaskForm):
    """A new organisation and its first user."""

    name = StringField()
    organization = StringField()
    email = EmailField()
    password = PasswordField()
    timezone = StringField()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    """Sign in with e-mail and password."""
    if current_user.is_authenticated:
        return redirect(url_for("today.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = accounts.authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            login_user(user, remember=True)
            return redirect(_safe_next(request.args.get("next")))
        error = _("E-mail or password is wrong.")
    elif request.method == "POST":
        error = _("Please enter your e-mail and password.")
    return render("auth/login.html", form=form, error=error, status=422 if error else 200)


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Create an organisation with one team; the first user becomes its admin and coach."""
    if current_user.is_authenticated:
        return redirect(url_for("today.index"))
    form = RegisterForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            result = accounts.register(
                db.session,
                org_name=form.organization.data,
                email=form.email.data,
                password=form.password.data,
                name=form.name.data,
                timezone=form.timezone.data or "UTC",
                locale=request.accept_languages.best_match(current_app.config["LANGUAGES"]),
                now=clock.now(),
            )
        except Invalid as exc:
            db.session.rollback()
            errors = exc.fields
        except Conflict as exc:
            db.session.rollback()
            errors = {exc.field or "email": exc.message}
        else:
            db.session.commit()
            login_user(result.user, remember=True)
            flash(_("Welcome to Touchbase! Add your first customers to get started."))
            return redirect(url_for("customers.new"))
    elif request.method == "POST":
        errors = {"form": _("Your form expired. Please try again.")}
    return render("auth/register.html", form=form, errors=errors, status=422 if errors else 200)


@bp.post("/logout")
@login_required
def logout():
    """Sign out: end this and every copied session of the user."""
    accounts.end_sessions(current_user)
    db.session.commit()
    logout_user()
    return redirect(url_for("auth.login"))
