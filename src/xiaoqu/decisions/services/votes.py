"""Writes for owner votes: create, open (freeze the electorate), cast ballots, close.

Ballots cannot be changed: an owner votes once per vote, whatever the channel. A paper
ballot cannot be taken back out of the box either, and equal rules for every channel keep the
count simple to check; an owner who made a mistake may raise an objection during the notice
period, which is recorded with the result (see docs/owner-votes.md).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import TypedDict

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import User
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.core.uploads import check_photo
from xiaoqu.decisions import chain
from xiaoqu.decisions.models import (
    Ballot,
    BallotChannel,
    Choice,
    Elector,
    ElectorUnit,
    Vote,
    VoteScope,
    VoteStatus,
)
from xiaoqu.decisions.rules import ENTER_BALLOTS, MANAGE_VOTES, READ_VOTES
from xiaoqu.decisions.rules_engine import DEVELOPER, MATTERS
from xiaoqu.decisions.services import notices, reminders
from xiaoqu.registry.models import Building, Dwelling, Entrance, Estate, Ownership, RegisterStatus


def vote_create(
    *,
    estate: Estate,
    matter: int,
    title: str,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    actor: User,
    scope: str = VoteScope.ESTATE,
    building: Building | None = None,
    entrance: Entrance | None = None,
    description: str = "",
) -> Vote:
    """A vote in draft; its electorate is frozen when it opens."""
    MANAGE_VOTES.require(actor, estate)
    if matter not in MATTERS:
        raise DomainError(_("表决事项应为民法典第二百七十八条第 1 至 9 项之一。"), code="matter")
    title = title.strip()
    if not title or len(title) > 200:
        raise DomainError(_("标题不能为空，最长 200 字。"), code="title")
    if closes_at <= opens_at:
        raise DomainError(_("截止时间必须晚于开始时间。"), code="dates")
    building, entrance = _vote_target(estate, scope, building, entrance)
    with transaction.atomic():
        vote = Vote.objects.create(
            estate=estate,
            matter=matter,
            title=title,
            description=description.strip(),
            scope=scope,
            building=building,
            entrance=entrance,
            opens_at=opens_at,
            closes_at=closes_at,
            salt=secrets.token_hex(32),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="decisions.vote_create",
            obj=vote,
            after={"matter": matter, "scope": scope, "title": title},
        )
    return vote


def _vote_target(
    estate: Estate, scope: str, building: Building | None, entrance: Entrance | None
) -> tuple[Building | None, Entrance | None]:
    """The building and entrance a vote of ``scope`` covers, which must be of the estate."""
    if scope == VoteScope.ESTATE:
        return None, None
    if scope == VoteScope.BUILDING:
        if building is None or building.estate_id != estate.pk:
            raise DomainError(_("请选择本小区的楼栋。"), code="building")
        return building, None
    if scope == VoteScope.ENTRANCE:
        if entrance is None or entrance.building.estate_id != estate.pk:
            raise DomainError(_("请选择本小区的单元。"), code="entrance")
        return entrance.building, entrance
    raise DomainError(_("表决范围不正确。"), code="scope")


def _units_in_scope(vote: Vote) -> QuerySet[Dwelling]:
    qs = Dwelling.objects.filter(estate_id=vote.estate_id)
    if vote.scope == VoteScope.BUILDING:
        qs = qs.filter(building=vote.building)
    elif vote.scope == VoteScope.ENTRANCE:
        qs = qs.filter(entrance=vote.entrance)
    return qs


# --- the electorate ---------------------------------------------------------------------------


class Electorate(TypedDict):
    """Effective owners by key: the dwellings of each, and the persons who are each."""

    units: dict[str, list[int]]
    persons: dict[str, list[int]]


def _grouping(links: Iterable[tuple[int, int]]) -> Callable[[str], str]:
    """The root of each node of the person–unit graph ("p:<person>", "d:<dwelling>") after
    joining every (person, dwelling) link: a union-find with path halving."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for person_id, dwelling_id in links:
        a, b = find(f"p:{person_id}"), find(f"d:{dwelling_id}")
        if a != b:
            parent[max(a, b)] = min(a, b)
    return find


def _keyed(units: dict[str, list[int]], persons: dict[str, list[int]]) -> Electorate:
    """Groups keyed by their lowest person, so a key reads the same in every run."""
    keyed: Electorate = {"units": {}, "persons": {}}
    for root, pks in units.items():
        people = sorted(set(persons.get(root, [])))
        key = DEVELOPER if root == DEVELOPER else (f"p:{people[0]}" if people else root)
        keyed["units"][key] = pks
        keyed["persons"][key] = people
    return keyed


def electorate(
    dwellings: list[tuple[int, Decimal, str]], owners: list[tuple[int, int]]
) -> Electorate:
    """Effective owners of units (SPC interpretation Art. 9), as ``{owner_key: [dwelling ids]}``
    plus ``{owner_key: person ids}``.

    Unsold and undelivered units are the developer's. Owned units sharing any owner are one
    owner (co-owners of a unit, and a buyer of several units, count once): the connected
    groups of the person–unit graph. An owned unit with no owner in the register counts as an
    owner of its own (``d:<id>``), so the register's gaps never shrink the electorate.
    """
    status = {pk: s for pk, _a, s in dwellings}
    owned = [(p, d) for p, d in owners if status.get(d) == RegisterStatus.OWNED]
    find = _grouping(owned)
    units: dict[str, list[int]] = defaultdict(list)
    for pk, _area, s in dwellings:
        units[find(f"d:{pk}") if s == RegisterStatus.OWNED else DEVELOPER].append(pk)
    persons: dict[str, list[int]] = defaultdict(list)
    for person_id, dwelling_id in owned:
        persons[find(f"d:{dwelling_id}")].append(person_id)
    return _keyed(units, persons)


def _freeze_electorate(vote: Vote, dwellings: list[tuple[int, Decimal, str]]) -> int:
    """Write the vote's electors, their persons and their units; the number of electors."""
    owners = list(
        Ownership.objects.filter(dwelling_id__in=[d[0] for d in dwellings]).values_list(
            "person_id", "dwelling_id"
        )
    )
    groups = electorate(dwellings, owners)
    area = {pk: a for pk, a, _s in dwellings}
    status = {pk: s for pk, _a, s in dwellings}
    electors = []
    for key, pks in groups["units"].items():
        owned = sum((area[pk] for pk in pks), Decimal(0))
        electors.append(
            Elector(
                vote=vote,
                owner_key=key,
                pseudonym=chain.pseudonym(vote.salt, key),
                area=owned,
                area_hundredths=int(owned * 100),
                units=len(pks),
            )
        )
    electors = Elector.objects.bulk_create(electors)
    by_key = {e.owner_key: e for e in electors}
    if any(e.pk is None for e in electors):  # backends without RETURNING
        by_key = {e.owner_key: e for e in Elector.objects.filter(vote=vote)}
    Elector.persons.through.objects.bulk_create(
        Elector.persons.through(elector_id=by_key[key].pk, person_id=person_id)
        for key, people in groups["persons"].items()
        for person_id in people
    )
    ElectorUnit.objects.bulk_create(
        ElectorUnit(
            vote=vote, elector=by_key[key], dwelling_id=pk, area=area[pk], status=status[pk]
        )
        for key, pks in groups["units"].items()
        for pk in pks
    )
    return len(electors)


def vote_open(*, vote: Vote, actor: User, now: dt.datetime | None = None) -> Vote:
    """Open the vote and freeze its electorate (units, areas, effective owners)."""
    MANAGE_VOTES.require(actor, vote)
    now = now or timezone.now()
    with transaction.atomic():
        locked = Vote.objects.select_for_update().get(pk=vote.pk)
        if locked.status != VoteStatus.DRAFT:
            raise DomainError(_("表决已经开始或已结束。"), code="not_draft")
        if now >= locked.closes_at:
            raise DomainError(_("截止时间已过，不能开始表决。"), code="too_late")
        dwellings = list(_units_in_scope(locked).values_list("pk", "area", "status"))
        if not dwellings:
            raise DomainError(_("表决范围内没有房屋。"), code="no_units")
        owners = _freeze_electorate(locked, dwellings)
        locked.status = VoteStatus.OPEN
        locked.opened_at = now
        locked.chain_head = chain.genesis(locked.pk, locked.salt)
        locked.save(update_fields=["status", "opened_at", "chain_head", "updated_at"])
        audit_record(
            actor=actor,
            action="decisions.vote_open",
            obj=locked,
            after={"units": len(dwellings), "owners": owners},
        )
        notices.vote_opened_notify(vote=locked, now=now)
        transaction.on_commit(lambda: reminders.reminders_schedule(locked), robust=True)
    return locked


def elector_for(*, vote: Vote, person_id: int | None) -> Elector | None:
    """The elector of the vote's frozen electorate that the person is (one of), if any."""
    if not person_id:
        return None
    return Elector.objects.filter(vote=vote, persons=person_id).first()


# --- ballots ---------------------------------------------------------------------------------


def ballot_cast(
    *,
    vote: Vote,
    elector: Elector,
    choice: str,
    channel: str,
    actor: User,
    scan: UploadedFile | None = None,
    proxy_name: str = "",
    authorisation: UploadedFile | None = None,
    now: dt.datetime | None = None,
) -> Ballot:
    """Append one owner's ballot to the vote's chain; one per owner, never changed.

    ``online``: the actor must read the vote (``decisions.read_votes``) and be one of the
    elector's own persons. ``paper``: staff enter it
    with the scanned ballot. ``proxy``: staff enter it with the proxy's name and the written
    authorisation. The vote row is locked while the chain moves, so concurrent ballots line up.
    """
    _check_ballot(vote=vote, elector=elector, choice=choice, channel=channel)
    if channel == BallotChannel.ONLINE:
        READ_VOTES.require(actor, vote)
        _check_own_ballot(elector, actor)
    else:
        proxy_name = _check_entered_ballot(vote, channel, actor, scan, proxy_name, authorisation)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            locked = _lock_for_ballot(vote, elector, now)
            ballot = _next_link(locked, elector, choice, channel, now)
            ballot.cast_by, ballot.proxy_name = actor, proxy_name
            if scan is not None:
                ballot.scan.save(scan.name or "ballot.jpg", scan, save=False)
            if authorisation is not None:
                name = authorisation.name or "authorisation.jpg"
                ballot.authorisation.save(name, authorisation, save=False)
            _append(locked, ballot, actor)
    except IntegrityError:
        raise DomainError(_("该业主已经投过票，每位业主只能投一票。"), code="already") from None
    return ballot


def _check_ballot(*, vote: Vote, elector: Elector, choice: str, channel: str) -> None:
    if choice not in Choice.values:
        raise DomainError(_("选择不正确。"), code="choice")
    if channel not in BallotChannel.values:
        raise DomainError(_("投票方式不正确。"), code="channel")
    if elector.vote_id != vote.pk:
        raise DomainError(_("该业主不在本次表决名册中。"), code="not_elector")


def _check_own_ballot(elector: Elector, actor: User) -> None:
    """Online, an owner votes for themselves only: the actor must be one of the elector's
    persons in the frozen electorate."""
    if not elector.persons.filter(pk=actor.person_id or 0).exists():
        raise DomainError(_("只能为自己投票。"), code="not_own")


def _check_entered_ballot(
    vote: Vote,
    channel: str,
    actor: User,
    scan: UploadedFile | None,
    proxy_name: str,
    authorisation: UploadedFile | None,
) -> str:
    """Staff enter paper ballots with the scan, proxy ballots with the proxy's name and the
    written authorisation; the proxy's name as it will be stored."""
    ENTER_BALLOTS.require(actor, vote)
    if channel == BallotChannel.PAPER and scan is None:
        raise DomainError(_("纸质选票须上传扫描件或照片。"), code="scan_required")
    if channel == BallotChannel.PROXY:
        proxy_name = proxy_name.strip()
        if not proxy_name or len(proxy_name) > 64 or authorisation is None:
            raise DomainError(
                _("委托投票须填写代理人姓名并上传书面授权委托书。"), code="proxy_required"
            )
    check_photo(scan)
    check_photo(authorisation)
    return proxy_name


def _lock_for_ballot(vote: Vote, elector: Elector, now: dt.datetime) -> Vote:
    """The vote row, locked, if it takes this elector's ballot now."""
    locked = Vote.objects.select_for_update().get(pk=vote.pk)
    if locked.status != VoteStatus.OPEN or not (locked.opens_at <= now < locked.closes_at):
        raise DomainError(_("表决不在投票时间内。"), code="not_open")
    if Ballot.objects.filter(vote=locked, elector=elector).exists():
        raise DomainError(_("该业主已经投过票，每位业主只能投一票。"), code="already")
    return locked


def _next_link(
    locked: Vote, elector: Elector, choice: str, channel: str, now: dt.datetime
) -> Ballot:
    """The ballot that follows the chain's head (unsaved), with its hash and receipt."""
    seq = locked.ballots_cast + 1
    nonce = secrets.token_hex(16)
    digest = chain.link(
        prev_hash=locked.chain_head,
        pseudonym=elector.pseudonym,
        choice=choice,
        channel=channel,
        cast_at=now,
        seq=seq,
        nonce=nonce,
    )
    return Ballot(
        vote=locked,
        elector=elector,
        seq=seq,
        choice=choice,
        channel=channel,
        cast_at=now,
        nonce=nonce,
        prev_hash=locked.chain_head,
        hash=digest,
        receipt=chain.receipt(digest),
    )


def _append(locked: Vote, ballot: Ballot, actor: User) -> None:
    """Save the ballot and move the vote's head and count on to it."""
    ballot.save()
    locked.ballots_cast = ballot.seq
    locked.chain_head = ballot.hash
    locked.save(update_fields=["ballots_cast", "chain_head"])
    # The audit row names the ballot and its hash, never the choice.
    audit_record(
        actor=actor,
        action="decisions.ballot_cast",
        obj=ballot,
        after={
            "vote": locked.pk,
            "seq": ballot.seq,
            "channel": ballot.channel,
            "hash": ballot.hash,
        },
    )


def vote_close(*, vote: Vote, actor: User, now: dt.datetime | None = None) -> Vote:
    """Close the vote (at or after its closing time, or early by staff decision)."""
    MANAGE_VOTES.require(actor, vote)
    now = now or timezone.now()
    with transaction.atomic():
        locked = Vote.objects.select_for_update().get(pk=vote.pk)
        if locked.status != VoteStatus.OPEN:
            raise DomainError(_("只有投票中的表决可以结束。"), code="not_open")
        locked.status = VoteStatus.CLOSED
        locked.closed_at = now
        locked.save(update_fields=["status", "closed_at", "updated_at"])
        audit_record(
            actor=actor,
            action="decisions.vote_close",
            obj=locked,
            after={"ballots": locked.ballots_cast, "head": locked.chain_head},
        )
    return locked
