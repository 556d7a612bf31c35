"""Settings pages (placeholder until the settings feature lands)."""

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.get("/")
@login_required
def index():
    """Settings."""
    return "settings"
