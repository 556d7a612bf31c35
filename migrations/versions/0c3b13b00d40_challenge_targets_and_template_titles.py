"""challenge targets and template titles: fixed own targets, storm weeks in every reader's language

- A new table ``challenge_target``: each rep's own target in a challenge, fixed when the
  challenge first counts them. The reps of a challenge running now get theirs fixed here, at
  what they see today (the team target split among every rep counting), so that the new rule
  (a later joiner shrinks nobody's target) changes nobody's target in the middle of it.
- A challenge started from a template (the crisis mode's storm week) shows the template's title
  and description in each reader's language: its own title is empty (the column stays NOT NULL,
  so that SQLite need not rebuild a table others refer to) and its description None. The storm
  weeks stored so far carry the texts in their coach's language; those that are the template's
  own are emptied (a text a coach changed stays). A downgrade writes the English texts back.

Revision ID: 0c3b13b00d40
Revises: 5174c4ff10d9
Create Date: 2026-12-06 13:38:42.536822

"""
from alembic import op
import sqlalchemy as sa

import app.models
from app import challenges as rules
from app import clock


# revision identifiers, used by Alembic.
revision = '0c3b13b00d40'
down_revision = '5174c4ff10d9'
branch_labels = None
depends_on = None

STORM_WEEK = rules.STORM_WEEK

challenge = sa.table(
    'challenge',
    sa.column('id', sa.Integer), sa.column('organization_id', sa.Integer), sa.column('team_id', sa.Integer),
    sa.column('title', sa.String), sa.column('description', sa.Text), sa.column('template', sa.String),
    sa.column('metric', sa.String), sa.column('target', sa.Integer),
    sa.column('starts_at', app.models.UTCDateTime()), sa.column('ends_at', app.models.UTCDateTime()),
    sa.column('finalized_at', app.models.UTCDateTime()),
)
user = sa.table(
    'user', sa.column('id', sa.Integer), sa.column('organization_id', sa.Integer), sa.column('team_id', sa.Integer),
    sa.column('role', sa.String), sa.column('created_at', app.models.UTCDateTime()),
)
challenge_target = sa.table(
    'challenge_target', sa.column('challenge_id', sa.Integer), sa.column('user_id', sa.Integer),
    sa.column('target', sa.Integer), sa.column('split', sa.Integer),
    sa.column('counted_from', app.models.UTCDateTime()), sa.column('fixed_at', app.models.UTCDateTime()),
)


def upgrade():
    op.create_table('challenge_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.Integer(), nullable=False),
    sa.Column('split', sa.Integer(), nullable=False),
    sa.Column('counted_from', app.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('fixed_at', app.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenge.id'], name=op.f('fk_challenge_target_challenge_id_challenge')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_challenge_target_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge_target')),
    sa.UniqueConstraint('challenge_id', 'user_id', name=op.f('uq_challenge_target_challenge_id_user_id'))
    )
    with op.batch_alter_table('challenge_target', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenge_target_user_id'), ['user_id'], unique=False)

    bind = op.get_bind()
    storm = challenge.c.template == STORM_WEEK.code
    bind.execute(challenge.update().where(storm, challenge.c.title.in_(list(STORM_WEEK.title.values())))
                 .values(title=''))
    bind.execute(challenge.update().where(storm, challenge.c.description.in_(list(STORM_WEEK.description.values())))
                 .values(description=None))
    _fix_running_targets(bind)


def _fix_running_targets(bind):
    """Fix the own targets of the reps of every challenge running now, as they were shown until today."""
    now = clock.now()
    running = bind.execute(sa.select(challenge).where(
        challenge.c.finalized_at.is_(None), challenge.c.starts_at <= now, challenge.c.ends_at > now)).all()
    for row in running:
        rule = rules.Challenge(metric=rules.Metric(row.metric), target=row.target, starts_at=row.starts_at,
                               ends_at=row.ends_at)
        reps = bind.execute(sa.select(user.c.id, user.c.created_at).where(
            user.c.organization_id == row.organization_id, user.c.team_id == row.team_id, user.c.role == 'rep')).all()
        counting = [(rep_id, max(joined, rule.starts_at)) for rep_id, joined in reps if joined < rule.ends_at]
        split = len(counting)
        values = [{"challenge_id": row.id, "user_id": rep_id, "split": split, "counted_from": counted_from,
                   "fixed_at": now,
                   "target": rules.own_target(rule, participants=split, counted_from=counted_from)}
                  for rep_id, counted_from in counting]
        if values:
            bind.execute(challenge_target.insert(), values)


def downgrade():
    bind = op.get_bind()
    storm = challenge.c.template == STORM_WEEK.code
    bind.execute(challenge.update().where(storm, challenge.c.title == '').values(title=STORM_WEEK.title["en"]))
    bind.execute(challenge.update().where(storm, challenge.c.description.is_(None))
                 .values(description=STORM_WEEK.description["en"]))

    with op.batch_alter_table('challenge_target', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_challenge_target_user_id'))

    op.drop_table('challenge_target')
