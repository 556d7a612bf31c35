"""A real SMTP server for the tests (aiosmtpd on 127.0.0.1), and the app settings that point at it.

``SMTPServer`` runs aiosmtpd's ``Controller`` in its own thread on a free port and keeps every
message it accepts, parsed with the standard library's ``email`` package. ``refuse(code)``
makes it answer the next recipients with an error, as a real server refusing an address would.
``closed_port()`` is a port nobody listens on (a mail server that is down), and
``SilentServer`` accepts connections and never says a word (one that hangs).
"""

from __future__ import annotations

import contextlib
import email
import re
import socket
import threading
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def closed_port() -> int:
    """Return a port on 127.0.0.1 where nothing listens: connecting is refused at once."""
    return free_port()


class _Handler:
    def __init__(self, server: SMTPServer) -> None:
        self.server = server

    async def handle_RCPT(self, _server, _session, envelope, address, _options):  # noqa: N802 (aiosmtpd's hook name)
        if self.server.refusing:
            return self.server.refusing
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server, _session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = email.message_from_bytes(envelope.content, policy=default)
        with self.server.lock:
            self.server.messages.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class Received:
    """One message the server accepted: the envelope and the parsed message."""

    def __init__(self, mail_from: str, rcpt_tos: tuple[str, ...], message: EmailMessage) -> None:
        self.mail_from = mail_from
        self.rcpt_tos = rcpt_tos
        self.message = message

    @property
    def subject(self) -> str:
        """The decoded subject."""
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        """Return the decoded text of the ``text/<subtype>`` part ("plain" or "html")."""
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None and body.get_content_type() == f"text/{subtype}", f"no text/{subtype} part"
        return body.get_content()

    @property
    def text(self) -> str:
        """The plain text part."""
        return self.part("plain")

    @property
    def html(self) -> str:
        """The HTML part."""
        return self.part("html")

    def links(self, pattern: str = r"https?://[^\s<>\"]+") -> list[str]:
        """Return the URLs in the plain text part, in order."""
        return re.findall(pattern, self.text)


class SMTPServer:
    """aiosmtpd on 127.0.0.1 and a free port, collecting the messages it accepts."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self.lock = threading.Lock()
        self.refusing: str | None = None
        self.port = free_port()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10)

    def start(self) -> SMTPServer:
        """Start serving in a thread."""
        self.controller.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.controller.stop()

    def refuse(self, reply: str | None = "550 5.1.1 No such mailbox") -> None:
        """Answer every recipient with *reply* from now on (None: accept again)."""
        self.refusing = reply

    def to(self, address: str) -> list[Received]:
        """Return the messages sent to *address*."""
        with self.lock:
            return [m for m in self.messages if address.lower() in (r.lower() for r in m.rcpt_tos)]

    def one(self, address: str) -> Received:
        """Return the only message sent to *address*."""
        found = self.to(address)
        assert len(found) == 1, f"{len(found)} messages to {address}, not 1"
        return found[0]

    def __enter__(self) -> SMTPServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class SilentServer:
    """A TCP server on 127.0.0.1 that accepts connections and never answers (a mail server that hangs)."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(8)
        self.port = self.socket.getsockname()[1]

    def __enter__(self) -> SilentServer:
        return self

    def __exit__(self, *exc) -> None:
        self.socket.close()


MAIL_SETTINGS = ("MAIL_BACKEND", "MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_TIMEOUT",
                 "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_DEFAULT_SENDER")


@contextlib.contextmanager
def mail_to(app, port: int, *, timeout: float = 5.0):
    """Point *app*'s mail settings at an SMTP server on 127.0.0.1:*port* (the smtp backend) for the block."""
    saved = {name: app.config.get(name) for name in MAIL_SETTINGS}
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False,
                      MAIL_USE_SSL=False, MAIL_TIMEOUT=timeout, MAIL_USERNAME=None, MAIL_PASSWORD=None,
                      MAIL_DEFAULT_SENDER="Touchbase <touchbase@example.com>")
    try:
        yield
    finally:
        app.config.update(saved)
