"""follow-ups (the next planned touch, one open per customer) and calendar feeds

The partial unique index ``uq_follow_up_open_customer`` lets a customer have any number of done
or dropped follow-ups but only one open: two parallel "plan" requests cannot make two.

Revision ID: 9461ff72cbef
Revises: d4c7a9e2f1b6
Create Date: 2026-12-06 12:00:42.538161

"""
from alembic import op
import sqlalchemy as sa

import app.models


# revision identifiers, used by Alembic.
revision = '9461ff72cbef'
down_revision = 'd4c7a9e2f1b6'
branch_labels = None
depends_on = None

OPEN = sa.text('done_at IS NULL AND dropped_at IS NULL')


def upgrade():
    op.create_table('calendar_feed',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_calendar_feed_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feed')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feed_token_hash')),
    sa.UniqueConstraint('user_id', name=op.f('uq_calendar_feed_user_id'))
    )
    op.create_table('follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('due_day', sa.Date(), nullable=False),
    sa.Column('kind', sa.Enum('call', 'email', 'letter', 'visit', 'coffee', 'walk', 'video', 'message', 'gift', 'event',
                              'other', name='touchkind', native_enum=False, length=16), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('created_at', app.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_at', app.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_touch_id', sa.Integer(), nullable=True),
    sa.Column('dropped_at', app.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_follow_up_created_by_id_user')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_follow_up_customer_id_customer')),
    sa.ForeignKeyConstraint(['done_touch_id'], ['touch.id'], name=op.f('fk_follow_up_done_touch_id_touch')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'],
                            name=op.f('fk_follow_up_organization_id_organization')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_follow_up_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up'))
    )
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_up_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index('ix_follow_up_user_due', ['user_id', 'due_day'], unique=False)
        batch_op.create_index('uq_follow_up_open_customer', ['customer_id'], unique=True,
                              sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade():
    # Dropping the tables drops their indexes.
    op.drop_table('follow_up')
    op.drop_table('calendar_feed')
