"""crisis periods: each team's crisis mode kept as history (started, ended, why)

The partial unique index ``uq_crisis_period_open_team`` lets a team have any number of ended
periods but only one open. Every team in crisis mode now gets its open period, started when
its ``crisis_since`` says, with its reason.

Revision ID: 662cb3df0272
Revises: 4cac131e1fa5
Create Date: 2026-12-06 13:04:31.289699

"""
from alembic import op
import sqlalchemy as sa

import app.models


# revision identifiers, used by Alembic.
revision = '662cb3df0272'
down_revision = '4cac131e1fa5'
branch_labels = None
depends_on = None

OPEN = sa.text('ended_at IS NULL')


def upgrade():
    op.create_table('crisis_period',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('started_at', app.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', app.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_crisis_period_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crisis_period'))
    )
    with op.batch_alter_table('crisis_period', schema=None) as batch_op:
        batch_op.create_index('ix_crisis_period_team_started', ['team_id', 'started_at'], unique=False)
        batch_op.create_index('uq_crisis_period_open_team', ['team_id'], unique=True,
                              sqlite_where=OPEN, postgresql_where=OPEN)
    # The teams in crisis mode now: their crisis so far is the open period (the same instant, as stored).
    op.execute(
        "INSERT INTO crisis_period (team_id, started_at, reason) "
        "SELECT id, crisis_since, crisis_reason FROM team WHERE crisis_since IS NOT NULL"
    )


def downgrade():
    # Dropping the table drops its indexes; ``team.crisis_since`` still says which teams are in crisis.
    op.drop_table('crisis_period')
