"""Touches pages."""

from flask import Blueprint

bp = Blueprint("touches", __name__)
