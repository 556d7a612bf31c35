"""password resets, weekly summary mails, the address an invite was mailed to

Adds the ``password_reset`` and ``weekly_mail`` tables, ``invite.email`` and
``user.weekly_summary_mail`` (off for everyone).

Revision ID: d5c8a2f17e3b
Revises: 9461ff72cbef
Create Date: 2026-12-06 12:02:38.243537

"""
from alembic import op
import sqlalchemy as sa

import app.models


# revision identifiers, used by Alembic.
revision = 'd5c8a2f17e3b'
down_revision = '9461ff72cbef'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('password_reset',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', app.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', app.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_password_reset_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_reset_token_hash'))
    )
    op.create_index(op.f('ix_password_reset_user_id'), 'password_reset', ['user_id'], unique=False)
    op.create_table('weekly_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.String(length=8), nullable=False),
    sa.Column('claimed_at', app.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', app.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=100), nullable=True),
    sa.Column('created_at', app.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_weekly_mail_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_weekly_mail')),
    sa.UniqueConstraint('user_id', 'week', name=op.f('uq_weekly_mail_user_id_week'))
    )
    # Plain ADD COLUMN, not batch mode: SQLite's batch mode would recreate "user" and "invite",
    # which fails once other tables' rows refer to them (foreign keys are on).
    op.add_column('invite', sa.Column('email', sa.String(length=254), nullable=True))
    op.add_column('user', sa.Column('weekly_summary_mail', sa.Boolean(), server_default='0', nullable=False))


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35 and later, PostgreSQL), for the same reason.
    op.execute('ALTER TABLE "user" DROP COLUMN weekly_summary_mail')
    op.execute('ALTER TABLE invite DROP COLUMN email')
    op.drop_table('weekly_mail')
    op.drop_index(op.f('ix_password_reset_user_id'), table_name='password_reset')
    op.drop_table('password_reset')
