"""The bare Flask "hello" app: the yardstick for Today's requests per second under wrk.

Served by gunicorn with exactly the settings of the real app (``bench.server``).
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    """Answer a constant page."""
    return "hello"
