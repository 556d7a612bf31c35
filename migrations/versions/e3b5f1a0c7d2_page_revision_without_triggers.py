"""page revisions raised by the app, not by triggers: drop the triggers and page_revision_xact

Revision ID: e3b5f1a0c7d2
Revises: c41e7a2d9b10
Create Date: 2026-12-04 22:10:00.000000

A database that ran an earlier version of c41e7a2d9b10 has triggers raising the page revision;
the app raises it itself now (app/revisions.py), so they go, with the column only they used.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e3b5f1a0c7d2'
down_revision = 'c41e7a2d9b10'
branch_labels = None
depends_on = None

# (trigger name, table) of every trigger an earlier c41e7a2d9b10 installed.
TRIGGERS = [
    *[(f"page_revision_{name}_{event}", table)
      for name, table in (("touch", "touch"), ("customer", "customer"), ("streak_state", "streak_state"),
                          ("away_period", "away_period"), ("points_entry", "points_entry"),
                          ("team_holiday", "team_holiday"))
      for event in ("insert", "update", "delete")],
    ("page_revision_customer_name_update", "customer"),
    ("page_revision_team_update", "team"),
    ("page_revision_team_delete", "team"),
    ("page_revision_user", "user"),
]


def upgrade():
    bind = op.get_bind()
    for name, table in TRIGGERS:
        if bind.dialect.name == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        elif bind.dialect.name == "postgresql":
            op.execute(f'DROP TRIGGER IF EXISTS {name} ON "{table}"')
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    # Not batch mode: on SQLite it would drop and recreate "user", which fails under foreign keys
    # once other rows point at it. SQLite drops a column itself since 3.35.
    op.execute('ALTER TABLE "user" DROP COLUMN page_revision_xact')


def downgrade():
    op.add_column('user', sa.Column('page_revision_xact', sa.BigInteger(), nullable=True))
