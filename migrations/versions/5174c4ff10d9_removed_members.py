"""removed members: a closed account keeps its history, and the team that may restore it

Two nullable columns on ``user``: when a coach or admin removed the member, and from which
team (an id without a foreign key: a constraint would make SQLite copy the user table, which
every other table refers to). Nothing is backfilled: every existing account stays open.

Revision ID: 5174c4ff10d9
Revises: 662cb3df0272
Create Date: 2026-12-06 13:33:18.869648

"""
from alembic import op
import sqlalchemy as sa

import app.models


# revision identifiers, used by Alembic.
revision = '5174c4ff10d9'
down_revision = '662cb3df0272'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('user', sa.Column('removed_at', app.models.UTCDateTime(timezone=True), nullable=True))
    op.add_column('user', sa.Column('removed_from_team_id', sa.Integer(), nullable=True))


def downgrade():
    # Not batch mode: on SQLite it would drop and recreate "user", which fails under foreign keys
    # once other rows point at it. SQLite drops a column itself since 3.35.
    op.execute('ALTER TABLE "user" DROP COLUMN removed_from_team_id')
    op.execute('ALTER TABLE "user" DROP COLUMN removed_at')
