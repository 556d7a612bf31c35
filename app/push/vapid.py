"""VAPID keys: the server's P-256 key pair that signs every push request, and base64url."""

from __future__ import annotations

import base64
import os
import re
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, current_app
from py_vapid import Vapid

_KEY_FILE = "vapid_private_key.pem"
_EXTENSION = "touchbase.vapid"


def b64url(data: bytes) -> str:
    """Encode *data* as unpadded base64url (the Push API's format)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes | None:
    """Decode base64url with or without padding; ``None`` when it is not base64url."""
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]*={0,2}", text):
        return None
    stripped = text.rstrip("=")
    try:
        return base64.urlsafe_b64decode(stripped + "=" * (-len(stripped) % 4))
    except (ValueError, TypeError):
        return None


def parse_private_key(text: str) -> Vapid:
    """Read a VAPID private key from PEM text or base64url (raw 32 bytes or DER); P-256 only."""
    text = text.strip().replace("\\n", "\n")  # PEM squeezed into one line of an env file
    if "-----BEGIN" in text:
        key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        vapid = Vapid(key)
    else:
        vapid = Vapid.from_string(text)
    if not isinstance(vapid.private_key, ec.EllipticCurvePrivateKey) or not isinstance(
        vapid.private_key.curve, ec.SECP256R1
    ):
        raise ValueError("a VAPID key must be an EC key on the P-256 curve")
    return vapid


def public_key_of(vapid: Vapid) -> str:
    """Return the public key as the browser's ``applicationServerKey`` (base64url, 65 bytes)."""
    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(raw)


def new_private_key_pem() -> str:
    """Make a new P-256 private key and return it as PEM text."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def _instance_key(instance: Path) -> str:
    """Return the development key in the instance folder, creating it once (atomically)."""
    path = instance / _KEY_FILE
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=instance, prefix=".vapid-")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(new_private_key_pem())
            os.chmod(tmp, 0o600)
            try:
                os.link(tmp, path)  # fails when another process was first: keep theirs
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    return path.read_text()


def vapid(app: Flask | None = None) -> Vapid:
    """Return the app's VAPID key: from configuration, else (development) from ``instance/``."""
    app = app or current_app._get_current_object()
    cached = app.extensions.get(_EXTENSION)
    if cached is None:
        text = app.config.get("VAPID_PRIVATE_KEY")
        if not text:
            if app.config.get("ENV") == "production":
                raise RuntimeError("TOUCHBASE_VAPID_PRIVATE_KEY must be set in production.")
            text = _instance_key(Path(app.instance_path))
        cached = parse_private_key(text)
        configured = app.config.get("VAPID_PUBLIC_KEY")
        if configured and configured.rstrip("=") != public_key_of(cached):
            raise RuntimeError("TOUCHBASE_VAPID_PUBLIC_KEY does not belong to the private key.")
        app.extensions[_EXTENSION] = cached
    return cached


def public_key(app: Flask | None = None) -> str:
    """Return the app's VAPID public key in ``applicationServerKey`` format."""
    return public_key_of(vapid(app))
