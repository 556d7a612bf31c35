"""repair stored time zones no part of the stack but zoneinfo knows, and e-mails not in NFC

``Factory``, ``localtime`` and ``posixrules`` are files in the zoneinfo folder, not zones a
person lives in; pytz (and so Babel) does not know them, and every page showing a time failed
for a user set to one. They become ``UTC``, which is what they mean. An e-mail address stored
in another Unicode form than NFC is rewritten in NFC and lower case, unless that would collide
with another account's address.

Revision ID: d4c7a9e2f1b6
Revises: b8d2e6f4a1c3
Create Date: 2026-12-06 12:40:00.000000

"""
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4c7a9e2f1b6'
down_revision = 'b8d2e6f4a1c3'
branch_labels = None
depends_on = None

NOT_ZONES = ("Factory", "localtime", "posixrules")


def upgrade():
    bind = op.get_bind()
    users = sa.table("user", sa.column("id", sa.Integer), sa.column("timezone", sa.String),
                     sa.column("email", sa.String))
    bind.execute(users.update().where(users.c.timezone.in_(NOT_ZONES)).values(timezone="UTC"))
    rows = bind.execute(sa.select(users.c.id, users.c.email)).all()
    taken = {email for _id, email in rows}
    for user_id, email in rows:
        normal = unicodedata.normalize("NFC", email).lower()
        if normal != email and normal not in taken:
            bind.execute(users.update().where(users.c.id == user_id).values(email=normal))
            taken.add(normal)


def downgrade():
    # Nothing to undo: the repaired values are valid in the older release too.
    pass
