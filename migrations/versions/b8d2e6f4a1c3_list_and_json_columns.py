"""workdays, muted push kinds, frozen days and notification payloads as JSON (kind and urgency are enums)

The data is converted both ways: "01234" <-> [0, 1, 2, 3, 4]; "a,b" <-> ["a", "b"];
"2026-11-11,2026-11-12" <-> ["2026-11-11", "2026-11-12"]; a payload's JSON text stays the same
document. The notification's kind and urgency keep their VARCHAR lengths (32 and 16).

Revision ID: b8d2e6f4a1c3
Revises: f7a9c3e1b2d4
Create Date: 2026-12-04 22:45:00.000000

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d2e6f4a1c3'
down_revision = 'f7a9c3e1b2d4'
branch_labels = None
depends_on = None


def _workdays_to_list(text):
    return sorted({int(c) for c in (text or "") if c.isdigit()})


def _list_to_workdays(days):
    return "".join(str(d) for d in sorted(set(days or ())))


def _joined_to_list(text):
    return [item for item in (text or "").split(",") if item]


def _list_to_joined(items):
    return ",".join(str(item) for item in items or ())


def _rewrite(table, key, source, target, convert):
    """Set *target* to *convert* of *source* in every row (a few rows per user).

    *source* and *target* are ``(name, type)``; a JSON column is read and written as Python values.
    """
    bind = op.get_bind()
    t = sa.table(table, sa.column(key), sa.column(*source), *([sa.column(*target)] if target[0] != source[0] else []))
    for row_key, value in bind.execute(sa.select(t.c[key], t.c[source[0]])).all():
        bind.execute(t.update().where(t.c[key] == row_key).values({target[0]: convert(value)}))


def _replace_user_column(name, old_type, column, convert):
    """Swap ``user.<name>`` for *column*, filled from the old values.

    A new column, not a changed one: SQLite's batch mode would drop and recreate ``user``, which
    fails once other tables' rows refer to it (foreign keys are on).
    """
    op.add_column('user', column)
    _rewrite('user', 'id', (name, old_type), (column.name, column.type), convert)
    # Plain ALTER TABLE (SQLite 3.35 and later, PostgreSQL): Alembic would recreate the table on SQLite.
    op.execute(f'ALTER TABLE "user" DROP COLUMN {name}')
    op.execute(f'ALTER TABLE "user" RENAME COLUMN {column.name} TO {name}')


def upgrade():
    _replace_user_column('workdays', sa.String(length=7), sa.Column(
        'workdays_new', sa.JSON(), nullable=False, server_default='[0, 1, 2, 3, 4]'), _workdays_to_list)
    _replace_user_column('push_muted_kinds', sa.String(length=200), sa.Column(
        'push_muted_kinds_new', sa.JSON(), nullable=False, server_default='[]'), _joined_to_list)
    frozen = ('frozen_days', sa.Text())  # still text: JSON documents first, then the cast
    _rewrite('streak_state', 'user_id', frozen, frozen, lambda text: json.dumps(_joined_to_list(text)))
    with op.batch_alter_table('streak_state', schema=None) as batch_op:
        batch_op.alter_column('frozen_days', existing_type=sa.Text(), type_=sa.JSON(),
                              existing_nullable=False, postgresql_using='frozen_days::json')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('payload', existing_type=sa.Text(), type_=sa.JSON(),
                              existing_nullable=False, postgresql_using='payload::json')


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('payload', existing_type=sa.JSON(), type_=sa.Text(),
                              existing_nullable=False, postgresql_using='payload::text')
    with op.batch_alter_table('streak_state', schema=None) as batch_op:
        batch_op.alter_column('frozen_days', existing_type=sa.JSON(), type_=sa.Text(),
                              existing_nullable=False, postgresql_using='frozen_days::text')
    frozen = ('frozen_days', sa.Text())  # text again, holding JSON documents
    _rewrite('streak_state', 'user_id', frozen, frozen, lambda text: _list_to_joined(json.loads(text or "[]")))
    _replace_user_column('push_muted_kinds', sa.JSON(), sa.Column(
        'push_muted_kinds_old', sa.String(length=200), nullable=False, server_default=''), _list_to_joined)
    # The old column had no default; one is needed to add a NOT NULL column to filled rows.
    _replace_user_column('workdays', sa.JSON(), sa.Column(
        'workdays_old', sa.String(length=7), nullable=False, server_default='01234'), _list_to_workdays)
