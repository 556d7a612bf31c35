"""challenge results as JSON (the metric, point and away reasons are enums in the same VARCHAR)

Revision ID: f7a9c3e1b2d4
Revises: e3b5f1a0c7d2
Create Date: 2026-12-04 23:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f7a9c3e1b2d4'
down_revision = 'e3b5f1a0c7d2'
branch_labels = None
depends_on = None


def _replace_results(new_type, cast):
    """Put ``challenge.results`` in a new column of *new_type*, keeping every value.

    A new column, not a changed one: SQLite's batch mode would drop and recreate ``challenge``,
    which fails under foreign keys once a ``challenge_result`` row points at it.
    """
    bind = op.get_bind()
    op.add_column('challenge', sa.Column('results_new', new_type, nullable=True))
    value = f'results::{cast}' if bind.dialect.name == 'postgresql' else 'results'
    op.execute(f'UPDATE challenge SET results_new = {value}')
    op.execute('ALTER TABLE challenge DROP COLUMN results')
    op.execute('ALTER TABLE challenge RENAME COLUMN results_new TO results')


def upgrade():
    _replace_results(sa.JSON(), 'json')


def downgrade():
    _replace_results(sa.Text(), 'text')
