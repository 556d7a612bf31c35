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


def upgrade():
    with op.batch_alter_table('challenge', schema=None) as batch_op:
        batch_op.alter_column('results', existing_type=sa.Text(), type_=sa.JSON(),
                              postgresql_using='results::json')


def downgrade():
    with op.batch_alter_table('challenge', schema=None) as batch_op:
        batch_op.alter_column('results', existing_type=sa.JSON(), type_=sa.Text(),
                              postgresql_using='results::text')
