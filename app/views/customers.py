"""Customer pages (placeholder until the customers feature lands)."""

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("customers", __name__, url_prefix="/customers")


@bp.get("/")
@login_required
def index():
    """List customers."""
    return "customers"


@bp.get("/new")
@login_required
def new():
    """New customer form."""
    return "new"


@bp.get("/<int:customer_id>")
@login_required
def detail(customer_id: int):
    """One customer."""
    return "detail"
