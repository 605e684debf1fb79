"""Writes for who manages an estate (管理主体), its committee, its rules and the five parties.

* :func:`body_start` records the body that manages an estate from a day on. The current body
  (the one without an end) ends the day before, so the history stays complete and at most one
  body is current. What a body needs depends on its kind: a property company (and a 红色物业,
  a company with its own Party branch) a contract period and a fee standard; a 红色物业 also
  its Party organisation, of the estate's community or above; a 自管会 or 业委会 the meeting
  of the estate that elected it (业主大会 or 居民议事会, held on or before the start) and the
  end of its term. The register's management mode (``Estate.management_mode``) follows the
  current body; :func:`body_end` leaves the estate without one (无人管理).
* :func:`member_add` / :func:`member_remove`: the members of the current committee, people who
  own or live in the estate.
* :func:`document_add`: the management covenant (管理规约) and the rules of procedure (议事规则)
  with the owners' vote that approved them (Civil Code Art. 278 items 2 and 1, published as
  passed); a 自管会's charter (章程) with such a vote, or else adopted at the meeting that
  elected the current 自管会.
* :func:`seat_add` / :func:`seat_remove`: the users who act for the estate's five parties;
  each holds the matching role at the estate (or, for 业委评议, is a member of its current
  committee).

Every write checks ``stewardship.manage_bodies`` on the estate and writes an audit row in the
same transaction; bad input raises a :class:`DomainError` before anything is written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import Actor, Role
from xiaoqu.accounts.roles import assignments
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import scope_path_of
from xiaoqu.decisions.models import Vote, VoteScope
from xiaoqu.decisions.selectors import published_as_passed
from xiaoqu.meetings.models import Meeting, MeetingKind
from xiaoqu.organization.models import PartyOrganization
from xiaoqu.registry.models import Estate, ManagementMode, Person
from xiaoqu.registry.scope import assignment_q
from xiaoqu.stewardship.models import (
    BodyKind,
    BodyMember,
    DocumentKind,
    ManagementBody,
    ManagementDocument,
    Party,
    PartySeat,
)
from xiaoqu.stewardship.rules import MANAGE_BODIES

# The register's management mode of each kind of body. An owners' committee is the owners
# managing themselves (they may hire a company later, which is then a body of its own).
MODE_OF_KIND: dict[str, str] = {
    BodyKind.PROPERTY_COMPANY: ManagementMode.PROPERTY_COMPANY,
    BodyKind.RED_PROPERTY: ManagementMode.PROPERTY_COMPANY,
    BodyKind.SELF_COMMITTEE: ManagementMode.SELF_MANAGED,
    BodyKind.OWNERS_COMMITTEE: ManagementMode.SELF_MANAGED,
    BodyKind.COMMUNITY: ManagementMode.COMMUNITY_CARETAKER,
    BodyKind.EMPLOYER: ManagementMode.EMPLOYER,
}
COMPANY_KINDS = frozenset({BodyKind.PROPERTY_COMPANY, BodyKind.RED_PROPERTY})
COMMITTEE_KINDS = frozenset({BodyKind.SELF_COMMITTEE, BodyKind.OWNERS_COMMITTEE})
ELECTING_KINDS = frozenset({MeetingKind.OWNERS_ASSEMBLY, MeetingKind.COUNCIL})
# Matters of Civil Code Art. 278 the vote approving each kind of document must be about.
DOCUMENT_MATTERS: dict[str, frozenset[int]] = {
    DocumentKind.PROCEDURE: frozenset({1}),
    DocumentKind.COVENANT: frozenset({2}),
    DocumentKind.CHARTER: frozenset({1, 9}),
}
# The role a user must hold at the estate to sit for each party.
PARTY_ROLE: dict[str, str] = {
    Party.HOUSING: Role.HOUSING_BUREAU,
    Party.STREET: Role.STREET_STAFF,
    Party.COMMUNITY: Role.COMMUNITY_STAFF,
    Party.OWNERS: Role.OWNERS_COMMITTEE,
    Party.MANAGER: Role.PROPERTY_MANAGER,
}
MAX_FEE = Decimal("9999.99")
PHONE_RE = re.compile(r"^[0-9+\- ]{5,20}$")


def current_body(estate: Estate) -> ManagementBody | None:
    return ManagementBody.objects.filter(estate=estate, ended_on=None).first()


def _set_mode(estate: Estate, mode: str, actor: Actor) -> None:
    """Move the register's management mode, with its own audit row when it changes."""
    before = estate.management_mode
    if before == mode:
        return
    estate.management_mode = mode
    estate.save(update_fields=["management_mode", "updated_at"])
    audit_record(
        actor=actor,
        action="registry.estate_management_mode",
        obj=estate,
        before={"management_mode": before},
        after={"management_mode": mode},
    )


# --- checks of a new body, by kind -------------------------------------------------------------


def parse_fee(value: Any) -> Decimal | None:
    """A fee standard in yuan per m² per month: not negative, at most two decimals."""
    if value is None or value == "":
        return None
    try:
        fee = Decimal(str(value).strip())
    except InvalidOperation:
        raise DomainError(_("物业费标准应为数字（元/m²·月）。"), code="fee") from None
    if not fee.is_finite() or fee < 0 or fee > MAX_FEE:
        raise DomainError(_("物业费标准应在 0 到 9999.99 元/m²·月之间。"), code="fee")
    if fee != fee.quantize(Decimal("0.01")):
        raise DomainError(_("物业费标准最多保留两位小数。"), code="fee")
    return fee.quantize(Decimal("0.01"))


def _check_company(fields: dict[str, Any], estate: Estate) -> None:
    start, end = fields.get("contract_start"), fields.get("contract_end")
    if start is None or end is None:
        raise DomainError(_("请填写物业服务合同的起止日期。"), code="contract")
    if end <= start:
        raise DomainError(_("合同截止日期应晚于开始日期。"), code="contract")
    if fields.get("fee_per_m2") is None:
        raise DomainError(_("请填写物业费标准（元/m²·月）。"), code="fee")
    fields["fee_per_m2"] = parse_fee(fields["fee_per_m2"])


def _check_red_property(fields: dict[str, Any], estate: Estate) -> None:
    _check_company(fields, estate)
    org: PartyOrganization | None = fields.get("party_organization")
    if org is None:
        raise DomainError(_("红色物业要关联企业的党组织。"), code="party_org")
    if not estate.region_path.startswith(org.region.path) or (
        org.estate_id is not None and org.estate_id != estate.pk
    ):
        raise DomainError(
            _("党组织“%(org)s”不属于本小区所在社区或其上级。") % {"org": org.name},
            code="party_org",
        )


def _check_committee(fields: dict[str, Any], estate: Estate) -> None:
    meeting: Meeting | None = fields.get("elected_at")
    started_on: dt.date = fields["started_on"]
    if meeting is None:
        raise DomainError(_("请选择选举产生本届委员会的会议。"), code="meeting")
    if meeting.estate_id != estate.pk:
        raise DomainError(_("选举会议不是本小区的。"), code="meeting")
    if meeting.kind not in ELECTING_KINDS:
        raise DomainError(_("委员会应由业主大会或居民议事会选举产生。"), code="meeting")
    if meeting.held_on > started_on:
        raise DomainError(_("选举会议应在开始管理之日或之前召开。"), code="meeting")
    term_end = fields.get("term_end")
    if term_end is None or term_end <= started_on:
        raise DomainError(_("请填写任期截止日期，且应晚于开始管理日期。"), code="term")


def _check_nothing(fields: dict[str, Any], estate: Estate) -> None:
    return None


KIND_CHECKS: dict[str, Callable[[dict[str, Any], Estate], None]] = {
    BodyKind.PROPERTY_COMPANY: _check_company,
    BodyKind.RED_PROPERTY: _check_red_property,
    BodyKind.SELF_COMMITTEE: _check_committee,
    BodyKind.OWNERS_COMMITTEE: _check_committee,
    BodyKind.COMMUNITY: _check_nothing,
    BodyKind.EMPLOYER: _check_nothing,
}
# The fields each kind keeps (the others are left empty).
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    BodyKind.PROPERTY_COMPANY: ("contract_start", "contract_end", "fee_per_m2"),
    BodyKind.RED_PROPERTY: ("contract_start", "contract_end", "fee_per_m2", "party_organization"),
    BodyKind.SELF_COMMITTEE: ("elected_at", "term_end"),
    BodyKind.OWNERS_COMMITTEE: ("elected_at", "term_end"),
    BodyKind.COMMUNITY: (),
    BodyKind.EMPLOYER: (),
}
OPTIONAL_FIELDS = (
    "contract_start",
    "contract_end",
    "fee_per_m2",
    "party_organization",
    "elected_at",
    "term_end",
)


def _check_contact(contact_name: str, contact_phone: str) -> tuple[str, str]:
    contact_name, contact_phone = contact_name.strip(), contact_phone.strip()
    if len(contact_name) > 64:
        raise DomainError(_("联系人姓名太长。"), code="contact")
    if contact_phone and not PHONE_RE.match(contact_phone):
        raise DomainError(_("联系电话格式不对（只能有数字、+、- 和空格）。"), code="contact")
    return contact_name, contact_phone


def _check_start(estate: Estate, started_on: dt.date, current: ManagementBody | None) -> None:
    if started_on > timezone.localdate():
        raise DomainError(_("开始管理日期不能晚于今天。"), code="date")
    if current is not None and started_on <= current.started_on:
        raise DomainError(
            _("开始管理日期应晚于现任管理主体的开始日期（%(d)s）。")
            % {"d": current.started_on.isoformat()},
            code="date",
        )
    last_end = (
        ManagementBody.objects.filter(estate=estate, ended_on__isnull=False)
        .order_by("-ended_on")
        .values_list("ended_on", flat=True)
        .first()
    )
    if last_end is not None and started_on <= last_end:
        raise DomainError(
            _("开始管理日期应晚于上一任管理主体的结束日期（%(d)s）。")
            % {"d": last_end.isoformat()},
            code="date",
        )


# --- bodies -------------------------------------------------------------------------------------


def body_start(
    *,
    estate: Estate,
    kind: str,
    name: str,
    started_on: dt.date,
    actor: Actor,
    contact_name: str = "",
    contact_phone: str = "",
    **details: Any,
) -> ManagementBody:
    """The body that manages ``estate`` from ``started_on``; the current one ends the day
    before and the register's management mode follows the new one.

    ``details`` are the kind's own fields: ``contract_start``, ``contract_end``,
    ``fee_per_m2`` (Decimal or text, yuan per m² per month), ``party_organization``,
    ``elected_at`` (a Meeting), ``term_end``.
    """
    MANAGE_BODIES.require(actor, estate)
    if kind not in KIND_CHECKS:
        raise DomainError(_("请选择管理主体的类型。"), code="kind")
    unknown = set(details) - set(OPTIONAL_FIELDS)
    if unknown:
        raise TypeError(f"unknown body fields: {sorted(unknown)}")
    name = name.strip()
    if not name or len(name) > 200:
        raise DomainError(_("请填写管理主体名称（200 字以内）。"), code="name")
    contact_name, contact_phone = _check_contact(contact_name, contact_phone)
    current = current_body(estate)
    _check_start(estate, started_on, current)
    fields = {key: details.get(key) for key in KIND_FIELDS[kind]}
    fields["started_on"] = started_on
    KIND_CHECKS[kind](fields, estate)
    with transaction.atomic():
        if current is not None:
            _end(current, started_on - dt.timedelta(days=1), actor)
        body = ManagementBody.objects.create(
            estate=estate,
            kind=kind,
            name=name,
            contact_name=contact_name,
            contact_phone=contact_phone,
            created_by=actor,
            **fields,
        )
        audit_record(
            actor=actor,
            action="stewardship.body_start",
            obj=body,
            before={"body": current.pk} if current is not None else None,
            after={
                "estate": estate.pk,
                "kind": kind,
                "name": name,
                "started_on": started_on.isoformat(),
                **{k: _plain(v) for k, v in fields.items() if k != "started_on"},
            },
        )
        _set_mode(estate, MODE_OF_KIND[kind], actor)
    return body


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return getattr(value, "pk", value)


def _end(body: ManagementBody, ended_on: dt.date, actor: Actor) -> None:
    body.ended_on = ended_on
    body.save(update_fields=["ended_on"])
    audit_record(
        actor=actor,
        action="stewardship.body_end",
        obj=body,
        after={"ended_on": ended_on.isoformat()},
    )


def body_end(*, estate: Estate, ended_on: dt.date, actor: Actor) -> ManagementBody:
    """The current body stops managing the estate on ``ended_on``; the register then has no
    one managing it (无人管理) until the next body starts."""
    MANAGE_BODIES.require(actor, estate)
    body = current_body(estate)
    if body is None:
        raise DomainError(_("本小区目前没有管理主体。"), code="no_body")
    if ended_on < body.started_on:
        raise DomainError(_("结束日期不能早于开始管理日期。"), code="date")
    if ended_on > timezone.localdate():
        raise DomainError(_("结束日期不能晚于今天。"), code="date")
    with transaction.atomic():
        _end(body, ended_on, actor)
        _set_mode(estate, ManagementMode.NONE, actor)
    return body


# --- committee members --------------------------------------------------------------------------


def _lives_or_owns_in(person: Person, estate: Estate) -> bool:
    return (
        person.ownerships.filter(dwelling__estate=estate).exists()
        or person.residencies.filter(dwelling__estate=estate).exists()
    )


def member_add(*, estate: Estate, person: Person, role: str, actor: Actor) -> BodyMember:
    """A member (主任, 副主任, 委员…) of the estate's current 自管会 or 业委会, who owns or lives
    in the estate."""
    MANAGE_BODIES.require(actor, estate)
    body = current_body(estate)
    if body is None or body.kind not in COMMITTEE_KINDS:
        raise DomainError(_("本小区现任管理主体不是自管会或业委会，不能添加成员。"), code="body")
    role = role.strip()
    if not role or len(role) > 32:
        raise DomainError(_("请填写职务（如主任、委员，32 字以内）。"), code="role")
    if not _lives_or_owns_in(person, estate):
        raise DomainError(_("成员应是本小区的业主或居民。"), code="person")
    if body.members.filter(person=person).exists():
        raise DomainError(
            _("%(name)s 已是本届委员会成员。") % {"name": person.name}, code="duplicate"
        )
    with transaction.atomic():
        member = BodyMember.objects.create(body=body, person=person, role=role)
        audit_record(
            actor=actor,
            action="stewardship.member_add",
            obj=member,
            after={"body": body.pk, "person": person.pk, "role": role},
        )
    return member


def member_remove(*, member: BodyMember, actor: Actor) -> None:
    """Take a member off the current committee (members of past bodies stay as history)."""
    MANAGE_BODIES.require(actor, member.body.estate)
    if member.body.ended_on is not None:
        raise DomainError(_("往届委员会的成员名单不能再改。"), code="ended")
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="stewardship.member_remove",
            obj=member,
            before={"body": member.body_id, "person": member.person_id, "role": member.role},
        )
        member.delete()


# --- documents ----------------------------------------------------------------------------------


def _check_vote(vote: Vote, kind: str, estate: Estate, effective_on: dt.date) -> None:
    if vote.estate_id != estate.pk:
        raise DomainError(_("表决不是本小区的。"), code="vote_estate")
    if vote.scope != VoteScope.ESTATE:
        raise DomainError(
            _("管理制度应由全体业主表决，不能是楼栋或单元的表决。"), code="vote_scope"
        )
    matters = DOCUMENT_MATTERS[kind]
    if vote.matter not in matters:
        raise DomainError(
            _("表决事项不符：%(kind)s需要第 %(matters)s 项事项（民法典第二百七十八条）的表决。")
            % {
                "kind": DocumentKind(kind).label,
                "matters": "、".join(str(m) for m in sorted(matters)),
            },
            code="vote_matter",
        )
    if not published_as_passed(vote):
        raise DomainError(
            _("表决“%(vote)s”的结果尚未公示为通过。") % {"vote": vote.title}, code="vote_passed"
        )
    if effective_on < timezone.localdate(vote.result_published_at):
        raise DomainError(_("生效日期不能早于表决结果公示之日。"), code="date")


def _check_charter_meeting(estate: Estate, effective_on: dt.date) -> None:
    """A charter without a vote: adopted at the meeting that elected the current 自管会."""
    body = current_body(estate)
    if body is None or body.kind != BodyKind.SELF_COMMITTEE or body.elected_at is None:
        raise DomainError(
            _("没有业主表决的章程，须由选举现任自管会的会议通过（本小区现任管理主体不是自管会）。"),
            code="no_vote",
        )
    if effective_on < body.elected_at.held_on:
        raise DomainError(_("生效日期不能早于选举会议召开之日。"), code="date")


def document_add(
    *,
    estate: Estate,
    kind: str,
    title: str,
    text: str,
    effective_on: dt.date,
    actor: Actor,
    vote: Vote | None = None,
) -> ManagementDocument:
    """The covenant, the rules of procedure or a 自管会's charter, with the approving vote."""
    MANAGE_BODIES.require(actor, estate)
    if kind not in DOCUMENT_MATTERS:
        raise DomainError(_("请选择制度类型。"), code="kind")
    title, text = title.strip(), text.strip()
    if not title or len(title) > 200:
        raise DomainError(_("请填写标题（200 字以内）。"), code="title")
    if not text:
        raise DomainError(_("请填写正文。"), code="text")
    if vote is not None:
        _check_vote(vote, kind, estate, effective_on)
    elif kind == DocumentKind.CHARTER:
        _check_charter_meeting(estate, effective_on)
    else:
        raise DomainError(
            _("%(kind)s须经业主表决通过，请选择表决。") % {"kind": DocumentKind(kind).label},
            code="no_vote",
        )
    with transaction.atomic():
        document = ManagementDocument.objects.create(
            estate=estate, kind=kind, title=title, text=text, vote=vote, effective_on=effective_on
        )
        audit_record(
            actor=actor,
            action="stewardship.document_add",
            obj=document,
            after={
                "kind": kind,
                "title": title,
                "vote": vote.pk if vote is not None else None,
                "effective_on": effective_on.isoformat(),
            },
        )
    return document


# --- the five parties ---------------------------------------------------------------------------


def holds_role_at(user: Any, role: str, estate: Estate) -> bool:
    """Whether one of the user's assignments of ``role`` covers the estate (an unscoped
    assignment, which only administrators have, does not count)."""
    path = scope_path_of(Estate)
    q = Q(pk__in=[])
    for a in assignments(user):
        if a.role != role:
            continue
        covered = assignment_q(a, path)
        if covered is not None:
            q |= covered
    return Estate.objects.filter(q, pk=estate.pk).exists()


def committee_member_user(user: Any, estate: Estate) -> bool:
    """Whether the user's person is a member of the estate's current 自管会 or 业委会."""
    body = current_body(estate)
    person_id = getattr(user, "person_id", None)
    return bool(
        body is not None
        and body.kind in COMMITTEE_KINDS
        and person_id
        and body.members.filter(person_id=person_id).exists()
    )


def may_sit(user: Any, party: str, estate: Estate) -> bool:
    if not getattr(user, "is_active", False):
        return False
    if holds_role_at(user, PARTY_ROLE[party], estate):
        return True
    return party == Party.OWNERS and committee_member_user(user, estate)


def seat_add(*, estate: Estate, party: str, user: Any, actor: Actor) -> PartySeat:
    """A user who acts for one of the estate's five parties."""
    MANAGE_BODIES.require(actor, estate)
    if party not in PARTY_ROLE:
        raise DomainError(_("请选择五方中的哪一方。"), code="party")
    if not may_sit(user, party, estate):
        raise DomainError(
            _("%(user)s 在本小区没有“%(role)s”的角色，不能代表%(party)s。")
            % {
                "user": user,
                "role": Role(PARTY_ROLE[party]).label,
                "party": Party(party).label,
            },
            code="seat_role",
        )
    if PartySeat.objects.filter(estate=estate, party=party, user=user).exists():
        raise DomainError(_("%(user)s 已在这一方中。") % {"user": user}, code="duplicate")
    with transaction.atomic():
        seat = PartySeat.objects.create(estate=estate, party=party, user=user)
        audit_record(
            actor=actor,
            action="stewardship.seat_add",
            obj=seat,
            after={"estate": estate.pk, "party": party, "user": user.pk},
        )
    return seat


def seat_remove(*, seat: PartySeat, actor: Actor) -> None:
    MANAGE_BODIES.require(actor, seat.estate)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="stewardship.seat_remove",
            obj=seat,
            before={"estate": seat.estate_id, "party": seat.party, "user": seat.user_id},
        )
        seat.delete()
