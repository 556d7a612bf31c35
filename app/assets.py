"""Static files with content-hashed URLs, long cache lifetimes and precompressed bodies.

``url_for('static', filename=...)`` appends ``?v=<hash of the file's content>``, computed once at
start-up; a response for the current hash may be cached for a year (``immutable``), since a
changed file gets a new URL. An old or missing hash is served with ``no-cache`` instead.
Text files are compressed once per process at the highest levels (brotli 11, gzip 9) and kept in
memory; Flask-Compress then leaves them alone and compresses only the pages.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from pathlib import Path

import brotli
from flask import Flask, Response, current_app, request

EXTENSION = "touchbase.assets"
IMMUTABLE = "public, max-age=31536000, immutable"
HASH_LENGTH = 12
COMPRESSIBLE = frozenset({"text/css", "text/javascript", "application/javascript", "image/svg+xml",
                          "application/json", "text/plain"})
_compressed: dict[tuple[str, str, str], bytes] = {}
_compressed_lock = threading.Lock()


def file_hash(path: Path) -> str:
    """Return the short content hash of one file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:HASH_LENGTH]


def hash_folder(folder: Path) -> dict[str, str]:
    """Return ``{relative path: content hash}`` for every file under *folder*."""
    return {
        path.relative_to(folder).as_posix(): file_hash(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    }


def versions(app: Flask | None = None) -> dict[str, str]:
    """Return the content hashes of the (running) app's static files."""
    return (app or current_app).extensions[EXTENSION]


def version_of(filename: str) -> str | None:
    """Return the content hash of one static file, or None when there is no such file."""
    return versions().get(filename)


def compressed(path: Path, version: str, encoding: str) -> bytes:
    """Return the file at *path* compressed with *encoding* ("br" or "gzip"), made once per version."""
    key = (str(path), version, encoding)
    body = _compressed.get(key)
    if body is None:
        data = path.read_bytes()
        body = brotli.compress(data, quality=11) if encoding == "br" else gzip.compress(data, 9, mtime=0)
        with _compressed_lock:
            _compressed[key] = body
    return body


def _encoding(accept: str) -> str | None:
    """Pick brotli, else gzip, from an ``Accept-Encoding`` header (a q=0 refuses one)."""
    offered = {}
    for part in accept.split(","):
        name, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        offered[name.strip().lower()] = quality
    for encoding in ("br", "gzip"):
        if offered.get(encoding, 0) > 0:
            return encoding
    return None


def _precompress(app: Flask, response: Response, filename: str, version: str) -> Response:
    encoding = _encoding(request.headers.get("Accept-Encoding", ""))
    if encoding is None or response.mimetype not in COMPRESSIBLE or request.method != "GET":
        return response
    body = compressed(Path(app.static_folder) / filename, version, encoding)
    response.direct_passthrough = False
    response.set_data(body)
    response.headers["Content-Encoding"] = encoding
    response.set_etag(f"{version}-{encoding}")
    response.vary.add("Accept-Encoding")
    return response.make_conditional(request)


def init_app(app: Flask) -> None:
    """Hash the static folder once and version every ``url_for('static', ...)``."""
    app.extensions[EXTENSION] = hash_folder(Path(app.static_folder)) if app.static_folder else {}

    @app.url_defaults
    def _add_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values:
            version = app.extensions[EXTENSION].get(values.get("filename", ""))
            if version:
                values["v"] = version

    @app.after_request
    def _cache_static(response):
        if request.endpoint != "static" or response.status_code not in (200, 304):
            return response
        filename = (request.view_args or {}).get("filename", "")
        wanted = request.args.get("v")
        version = app.extensions[EXTENSION].get(filename)
        if wanted and wanted == version:
            response.headers["Cache-Control"] = IMMUTABLE
        else:
            response.headers["Cache-Control"] = "no-cache"
        if version and response.status_code == 200 and "Range" not in request.headers:
            response = _precompress(app, response, filename, version)
        return response
