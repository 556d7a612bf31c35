"""page revision on users, for the Today page's ETag

Revision ID: c41e7a2d9b10
Revises: aaf647c87b19
Create Date: 2026-11-27 07:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c41e7a2d9b10'
down_revision = 'aaf647c87b19'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('page_revision', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('page_revision_xact', sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('page_revision_xact')
        batch_op.drop_column('page_revision')
