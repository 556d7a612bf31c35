"""Team admin: change a member's role, hand a rep's customers to another rep, remove a member, restore one.

Only a coach or an admin of the team acts, and only on members of their own team (anyone else,
or another organisation's member, does not exist for them: NotFound). The rules:

- **Roles**: a coach makes reps coaches and coaches reps; only an admin makes someone an admin
  or changes an admin's role. A team never loses its last coach or admin, and an organisation
  never loses its last admin (so nobody demotes themselves out of being the last admin).
- **Handing over customers** moves all of a member's customers, archived ones too, to another
  member of the team at once: each customer's owner changes and its open follow-up goes along;
  every touch stays the old rep's, so history, streaks and points stay where they were earned.
- **Removing** a member closes their account rather than deleting it: their customers go to
  the member chosen (required while they have any), their sessions, access tokens, calendar
  feed, push devices, password reset links and weekly mail end, and they leave the team (``team_id`` is cleared and
  ``removed_at`` set), while their touches, points, badges and kudos stay. They can no longer
  sign in, and their address cannot open a new account through an invite; a coach of the team
  restores them instead (as a rep, with their old password, and without the customers handed on).
  Nobody removes themselves, and only an admin removes an admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from ..kinds import Role
from ..models import Customer, FollowUp, PasswordReset, PushSubscription, User
from . import Invalid, NotFound, accounts, awards, calendar_feeds, id_or_404, tokens

ROLES = tuple(Role)


def may_manage(actor: User) -> bool:
    """Tell whether *actor* manages a team: a coach or an admin with a team."""
    return actor.is_coach and actor.team_id is not None and actor.removed_at is None


def _find(session: Session, actor: User, member_id: object, *where) -> User:
    mid = id_or_404(member_id)
    if not may_manage(actor):
        raise NotFound()
    member = session.scalar(select(User).where(User.id == mid, User.organization_id == actor.organization_id, *where))
    if member is None:
        raise NotFound()
    return member


def team_member(session: Session, actor: User, member_id: object) -> User:
    """Return a member of *actor*'s team (the actor too) for a coach or admin; else raise NotFound."""
    return _find(session, actor, member_id, User.team_id == actor.team_id, User.removed_at.is_(None))


def removed_member(session: Session, actor: User, member_id: object) -> User:
    """Return a member removed from *actor*'s team, for a coach or admin of it; else raise NotFound."""
    return _find(session, actor, member_id, User.removed_from_team_id == actor.team_id, User.removed_at.is_not(None))


def removed_members(session: Session, actor: User) -> list[User]:
    """Return the members removed from *actor*'s team, most recently removed first; nobody for a non-coach."""
    if not may_manage(actor):
        return []
    return list(session.scalars(
        select(User)
        .where(User.organization_id == actor.organization_id, User.removed_from_team_id == actor.team_id,
               User.removed_at.is_not(None))
        .order_by(User.removed_at.desc(), User.id)))


def customer_count(session: Session, member: User) -> tuple[int, int]:
    """Return how many customers *member* owns: (active, archived)."""
    rows = dict(session.execute(
        select(Customer.archived_at.is_(None), func.count(Customer.id))
        .where(Customer.organization_id == member.organization_id, Customer.owner_id == member.id)
        .group_by(Customer.archived_at.is_(None))).all())
    return rows.get(True, 0), rows.get(False, 0)


def _coaches_left(session: Session, team_id: int, *, without: int) -> int:
    return session.scalar(select(func.count(User.id)).where(
        User.team_id == team_id, User.role.in_((Role.coach, Role.admin)), User.id != without,
        User.removed_at.is_(None))) or 0


def _admins_left(session: Session, organization_id: int, *, without: int) -> int:
    return session.scalar(select(func.count(User.id)).where(
        User.organization_id == organization_id, User.role == Role.admin, User.id != without,
        User.removed_at.is_(None))) or 0


def _check_admin_rights(actor: User, member: User, field: str, message) -> None:
    if member.role is Role.admin and actor.role is not Role.admin:
        raise Invalid({field: message})


def change_role(session: Session, actor: User, member_id: object, role: object) -> User:
    """Give a member of *actor*'s team the *role* ("rep", "coach" or "admin"), within the rules above."""
    member = team_member(session, actor, member_id)
    if not isinstance(role, str) or role not in {r.value for r in ROLES}:
        raise Invalid({"role": _l("Please choose rep, coach or admin.")})
    new = Role(role)
    if new is member.role:
        return member
    if new is Role.admin and actor.role is not Role.admin:
        raise Invalid({"role": _l("Only an admin can make someone an admin.")})
    _check_admin_rights(actor, member, "role", _l("Only an admin can change an admin's role."))
    # The team's rows and the organisation's admins take turns (PostgreSQL, in id order): two
    # coaches demoting each other at once cannot both leave the team without a coach.
    session.execute(select(User.id).where(or_(
        User.team_id == member.team_id, and_(User.organization_id == member.organization_id, User.role == Role.admin)
    )).order_by(User.id).with_for_update(key_share=True))
    if new is Role.rep and _coaches_left(session, member.team_id, without=member.id) == 0:
        raise Invalid({"role": _l("A team needs at least one coach or admin. Make someone else a coach first.")})
    if member.role is Role.admin and _admins_left(session, member.organization_id, without=member.id) == 0:
        raise Invalid({"role": _l("You are the last admin of your organisation. Make someone else an admin first.")
                       if member.id == actor.id else
                       _l("This is the last admin of your organisation. Make someone else an admin first.")})
    member.role = new
    session.flush()
    return member


@dataclass(frozen=True)
class HandedOver:
    """What handing over moved: how many customers, and to whom."""

    customers: int
    to: User


def _receiver(session: Session, actor: User, member: User, to_id: object, field: str) -> User:
    try:
        receiver = team_member(session, actor, to_id)
    except NotFound:
        receiver = None
    if receiver is None or receiver.id == member.id:
        raise Invalid({field: _l("Please choose someone else from your team.")})
    return receiver


def _move_customers(session: Session, member: User, receiver: User) -> int:
    customers = list(session.scalars(select(Customer).where(
        Customer.organization_id == member.organization_id, Customer.owner_id == member.id)))
    if not customers:
        return 0
    ids = [c.id for c in customers]
    for follow_up in session.scalars(select(FollowUp).where(FollowUp.customer_id.in_(ids), FollowUp.is_open)):
        follow_up.user = receiver
    for customer in customers:
        customer.owner = receiver
    session.flush()
    return len(customers)


def hand_over_customers(session: Session, actor: User, member_id: object, to_id: object) -> HandedOver:
    """Give all customers of a team member (archived ones too) to another member; their touches stay theirs.

    Raises Invalid when *to_id* is not another member of the team, or the member has no customers.
    """
    member = team_member(session, actor, member_id)
    receiver = _receiver(session, actor, member, to_id, "to")
    awards.lock_rep(session, member)  # the leaving rep's own writes take turns with the move
    moved = _move_customers(session, member, receiver)
    if not moved:
        raise Invalid({"to": _l("%(name)s has no customers to hand over.", name=member.name)})
    return HandedOver(moved, receiver)


@dataclass(frozen=True)
class Removed:
    """A removed member and what became of their customers (none handed over: ``to`` is None)."""

    member: User
    customers: int
    to: User | None


def remove_member(session: Session, actor: User, member_id: object, *, to_id: object = None,
                  now: datetime) -> Removed:
    """Remove a member from *actor*'s team and close their account, handing their customers to *to_id* first.

    Raises Invalid for the actor themselves, an admin removed by a non-admin, and a member who
    still has customers when nobody (or nobody else of the team) is chosen to take them over.
    """
    member = team_member(session, actor, member_id)
    if member.id == actor.id:
        raise Invalid({"member": _l("You cannot remove yourself. Ask another coach or an admin.")})
    _check_admin_rights(actor, member, "member", _l("Only an admin can remove an admin."))
    awards.lock_rep(session, member)
    active, archived = customer_count(session, member)
    receiver = None
    if active or archived or to_id not in (None, ""):
        if to_id in (None, ""):
            raise Invalid({"to": _l("%(name)s still has customers. Choose who takes them over.", name=member.name)})
        receiver = _receiver(session, actor, member, to_id, "to")
    moved = _move_customers(session, member, receiver) if receiver is not None else 0
    accounts.end_sessions(member)
    tokens.revoke_all_tokens(session, member, now=now)
    calendar_feeds.revoke_feed(session, member)
    session.execute(delete(PushSubscription).where(PushSubscription.user_id == member.id))
    session.execute(delete(PasswordReset).where(PasswordReset.user_id == member.id))
    member.weekly_summary_mail = False
    member.removed_from_team_id = member.team_id
    member.team_id = None
    member.removed_at = now
    session.flush()
    return Removed(member, moved, receiver)


def restore_member(session: Session, actor: User, member_id: object) -> User:
    """Bring a member removed from *actor*'s team back into it, as a rep; they sign in with their old password."""
    member = removed_member(session, actor, member_id)
    member.team_id = actor.team_id
    member.removed_at = None
    member.removed_from_team_id = None
    member.role = Role.rep
    accounts.end_sessions(member)
    session.flush()
    return member
