"""import tokens: each customer import preview is confirmed once

A new table only; the hash of the preview's one-time token, its user, expiry, use and the
counts the confirmation answered with.

Revision ID: 4cac131e1fa5
Revises: d5c8a2f17e3b
Create Date: 2026-12-06 12:04:42.810794

"""
from alembic import op
import sqlalchemy as sa

import app.models


# revision identifiers, used by Alembic.
revision = '4cac131e1fa5'
down_revision = 'd5c8a2f17e3b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', app.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', app.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_count', sa.Integer(), nullable=True),
    sa.Column('merged_count', sa.Integer(), nullable=True),
    sa.Column('skipped_count', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_import_token_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_import_token_token_hash'))
    )
    with op.batch_alter_table('import_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_token_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('import_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_token_user_id'))

    op.drop_table('import_token')
