"""Mail: one message in the recipient's language, plain text and HTML, sent with Flask-Mailman.

Both parts come from templates, ``templates/mail/<name>.txt`` and ``.html``, rendered inside
Flask-Babel's ``force_locale`` with the *recipient's* language (a request's own language plays no
part). The ``MAIL_*`` settings are read at each send (app/config.py), and SMTP always runs with
the finite ``MAIL_TIMEOUT``. Whatever goes wrong on the way to the mail server — refused,
timed out, a TLS failure, an address or message rejected — is one exception, ``MailError``;
callers decide what the user is told. Every failed send is logged with the kind of mail and whom
it was for (a user id, or a short hash of an address), never with the message or the link in it.

Links in mails are built on ``PUBLIC_URL`` (``link``), not on a request's Host header, which a
client chooses: a password reset link must never point at somebody else's host.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
from collections.abc import Mapping

from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale
from flask_mailman import EmailMultiAlternatives

from .extensions import mail

log = logging.getLogger(__name__)

# Where a link points when neither PUBLIC_URL nor a request says: the development server.
DEVELOPMENT_URL = "http://127.0.0.1:5000"


class MailError(Exception):
    """A message could not be handed to the mail server; nothing about it was delivered."""

    def __init__(self, kind: str, reason: str):
        super().__init__(f"mail {kind} not sent: {reason}")
        self.kind = kind
        self.reason = reason


def language(locale: str | None) -> str:
    """Return the language a mail is written in: the *locale* setting's prefix when the app has it, else English."""
    prefix = (locale or "en")[:2].lower()
    return prefix if prefix in current_app.config["LANGUAGES"] else "en"


def recipient_ref(address: str, user_id: int | None = None) -> str:
    """Return how a log names a recipient: the user's id, else a short hash of the address."""
    if user_id is not None:
        return f"user {user_id}"
    return "address " + hashlib.sha256(address.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()[:12]


def link(endpoint: str, **values) -> str:
    """Return the absolute URL of *endpoint* for a mail: on ``PUBLIC_URL``, else the request's or the dev server's."""
    base = current_app.config.get("PUBLIC_URL")
    if not base and has_request_context():
        return url_for(endpoint, _external=True, **values)
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return (base or DEVELOPMENT_URL).rstrip("/") + path


def _connection():
    """Return a backend connection made from the current settings (SMTP with its timeout)."""
    config = current_app.config
    backend = config["MAIL_BACKEND"]
    options: dict[str, object] = {}
    if backend == "smtp":
        options = {
            "host": config.get("MAIL_SERVER") or "localhost",
            "port": int(config.get("MAIL_PORT") or 25),
            "username": config.get("MAIL_USERNAME") or "",
            "password": config.get("MAIL_PASSWORD") or "",
            "use_tls": bool(config.get("MAIL_USE_TLS")),
            "use_ssl": bool(config.get("MAIL_USE_SSL")),
            "timeout": config["MAIL_TIMEOUT"],
        }
    elif backend == "file":
        options = {"file_path": config["MAIL_FILE_PATH"]}
    return mail.get_connection(backend=backend, fail_silently=False, **options)


def render(template: str, *, locale: str | None, subject: object, **context) -> tuple[str, str, str]:
    """Return the subject, the plain text and the HTML of ``mail/<template>`` in the language of *locale*.

    *subject* is a lazy string (``lazy_gettext``), translated here in that language; a line
    break a name put into it becomes a space (a header has one line).
    """
    lang = language(locale)
    with force_locale(lang):
        title = " ".join(str(subject).split())
        text = render_template(f"mail/{template}.txt", lang=lang, subject=title, **context)
        html = render_template(f"mail/{template}.html", lang=lang, subject=title, **context)
    return title, text, html


def send(kind: str, *, to: str, locale: str | None, subject: object, template: str, user_id: int | None = None,
         headers: Mapping[str, str] | None = None, **context) -> None:
    """Send one multipart mail (plain text and HTML) to *to*; raise ``MailError`` when it is not accepted.

    *kind* names the mail in the logs; *user_id* the recipient's account, if any.
    """
    title, text, html = render(template, locale=locale, subject=subject, **context)
    message = EmailMultiAlternatives(
        subject=title,
        body=text,
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=[to],
        headers=dict(headers or {}),
    )
    message.attach_alternative(html, "text/html")
    who = recipient_ref(to, user_id)
    try:
        message.connection = _connection()
        message.send()
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        # ValueError: an address the backend cannot encode. No text of the exception goes into the
        # log: smtplib puts the refused addresses in it.
        log.warning("mail %s to %s not sent: %s", kind, who, type(exc).__name__)
        raise MailError(kind, type(exc).__name__) from exc
    log.info("mail %s sent to %s", kind, who)
