"""Writes of the maintenance fund (住宅专项维修资金): deposits, interest and uses.

Each dwelling has an account of ``FundEntry`` lines; the estate's account is the sum of its
dwellings' (``stewardship.fund_ledger`` holds the identities). Money is integer fen, typed
in yuan and parsed exactly (``renovation.services.money.yuan_to_fen``: at most two decimals,
never rounded). Every write locks the estate's row, writes in one transaction and records an
audit row; bad input is refused with a Chinese message and nothing is written.

* :func:`deposits_record` — one deposit per dwelling of the estate: exclusive area × the local
  rate (yuan per m²), rounded to the fen, half up, per dwelling.
* :func:`interest_record` — an amount (or a rate in % of the estate's balance, rounded half
  up to the fen) shared over the dwellings by balance, largest remainder: exact total.
* :func:`withdrawal_by_vote` — a use decided by the owners (Civil Code Art. 278 item 5: using
  the fund; raising it is item 6, a special matter, and does not allow a use): the vote must
  be of the estate, on matter 5, its result published as passed and its objection period
  over. The amount is split by exclusive area over the dwellings that benefit, which must
  lie within the vote's scope; no dwelling may be overdrawn (the first one short is named).
* :func:`withdrawal_emergency_apply`, :func:`withdrawal_emergency_approve`,
  :func:`withdrawal_publish` — the emergency procedure of the local rules (应急使用): the
  managing body or the owners' committee applies for one of the emergency cases
  (``XIAOQU_FUND_EMERGENCY_CASES``: 电梯故障, 屋面漏水, 消防隐患), street staff or the housing
  bureau approve it (which writes the shares), and it is published to owners afterwards.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import Actor, Role
from xiaoqu.core import figures
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.core.money import yuan
from xiaoqu.core.policy import scope_path_of
from xiaoqu.decisions.models import Vote, VoteScope
from xiaoqu.decisions.selectors import vote_passed
from xiaoqu.registry.models import Dwelling, Estate
from xiaoqu.registry.scope import roles_q
from xiaoqu.renovation import contributions
from xiaoqu.renovation.services.money import MAX_ENTRY_FEN, yuan_to_fen
from xiaoqu.stewardship import fund_ledger
from xiaoqu.stewardship.models import FundEntry, FundEntryKind, FundWithdrawal
from xiaoqu.stewardship.rules import APPLY_FUND, MANAGE_FUND

# Civil Code Art. 278 item 5: using the maintenance fund.
FUND_USE_MATTER = 5
# Only these roles approve an emergency use (the street office or the housing bureau); a
# global administrator reaches everything, as elsewhere.
APPROVER_ROLES = frozenset({Role.STREET_STAFF, Role.HOUSING_BUREAU})
EARLIEST_DATE = dt.date(2000, 1, 1)
TITLE_MAX = 200
_PERCENT = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,4})?")


# --- settings and parsing ------------------------------------------------------------------------


def emergency_cases() -> list[str]:
    """The emergency cases of the local rules (``XIAOQU_FUND_EMERGENCY_CASES``)."""
    raw = getattr(settings, "XIAOQU_FUND_EMERGENCY_CASES", "电梯故障,屋面漏水,消防隐患")
    return [c.strip() for c in raw.replace("，", ",").split(",") if c.strip()]


def statements_per_year() -> int:
    """How often the estate's statement is published (``XIAOQU_FUND_STATEMENTS_PER_YEAR``)."""
    return int(getattr(settings, "XIAOQU_FUND_STATEMENTS_PER_YEAR", 2))


def _amount(text: str | None) -> int:
    try:
        return yuan_to_fen(text)
    except DomainError as error:
        if error.code == "amount_negative":
            raise DomainError(_("金额不能为负数。"), code="amount_negative") from None
        raise


def _rate_fen(text: str | None) -> int:
    """The local deposit rate, yuan per m² of exclusive area, as fen per m²."""
    if not (text or "").strip():
        raise DomainError(_("请填写交存标准（元/平方米）。"), code="rate_missing")
    return _amount(text)


def _percent(text: str | None) -> Decimal:
    value = (text or "").strip().removesuffix("%")
    if not _PERCENT.fullmatch(value) or not 0 < Decimal(value) <= 100:
        raise DomainError(
            _("利率“%(value)s”应为大于 0、不超过 100 的百分数，最多四位小数（如 1.35）。")
            % {"value": value[:20]},
            code="rate_invalid",
        )
    return Decimal(value)


def _check_date(on: dt.date) -> None:
    if on > timezone.localdate():
        raise DomainError(_("日期不能晚于今天。"), code="date_future")
    if on < EARLIEST_DATE:
        raise DomainError(_("日期不能早于 2000 年。"), code="date_past")


def _title(text: str | None) -> str:
    title = " ".join((text or "").split())
    if not title:
        raise DomainError(_("请填写资金用途。"), code="title_missing")
    if len(title) > TITLE_MAX:
        raise DomainError(_("用途最多 %(n)d 个字。") % {"n": TITLE_MAX}, code="title_too_long")
    return title


# --- reading balances ------------------------------------------------------------------------------


def dwelling_balances(estate: Estate) -> dict[int, int]:
    """Each dwelling's balance in fen (dwellings without entries: absent)."""
    rows = (
        FundEntry.objects.filter(dwelling__estate=estate)
        .values("dwelling_id")
        .annotate(total=Sum("amount_fen"))
    )
    return {row["dwelling_id"]: int(row["total"] or 0) for row in rows}


def _lock(estate: Estate) -> None:
    """Serialise the estate's fund writes: two uses cannot both spend the same balance."""
    Estate.objects.select_for_update().filter(pk=estate.pk).first()


# --- deposits and interest ----------------------------------------------------------------------


def deposits_record(
    *, estate: Estate, rate_yuan_per_m2: str, on: dt.date, actor: Actor, note: str = ""
) -> list[FundEntry]:
    """One deposit per dwelling of the estate: area × rate, to the fen, half up."""
    MANAGE_FUND.require(actor, estate)
    rate = _rate_fen(rate_yuan_per_m2)
    _check_date(on)
    dwellings = list(Dwelling.objects.filter(estate=estate).order_by("pk"))
    if not dwellings:
        raise DomainError(_("这个小区还没有登记房屋。"), code="no_dwellings")
    amounts = {d.pk: fund_ledger.deposit_fen(d.area, rate) for d in dwellings}
    if max(amounts.values()) > MAX_ENTRY_FEN:
        raise DomainError(_("交存金额过大，请核对交存标准。"), code="amount_too_large")
    text = " ".join((note or "").split())[:TITLE_MAX] or _("按 %(rate)s 元/平方米交存") % {
        "rate": yuan(rate)
    }
    with transaction.atomic():
        _lock(estate)
        entries = FundEntry.objects.bulk_create(
            FundEntry(dwelling_id=pk, kind=FundEntryKind.DEPOSIT, amount_fen=fen, on=on, note=text)
            for pk, fen in amounts.items()
            if fen > 0
        )
        figures.changed([estate.pk], "fund")
        audit_record(
            actor=actor,
            action="stewardship.fund_deposits",
            obj=estate,
            after={"rate_fen": rate, "on": on.isoformat(), "total_fen": sum(amounts.values())},
        )
    return entries


def interest_record(
    *,
    estate: Estate,
    on: dt.date,
    actor: Actor,
    amount: str = "",
    rate_percent: str = "",
) -> list[FundEntry]:
    """Interest credited to the estate (an amount, or a rate in % of its balance), shared
    over the dwellings in proportion to their balances: largest remainder, exact total."""
    MANAGE_FUND.require(actor, estate)
    if bool((amount or "").strip()) == bool((rate_percent or "").strip()):
        raise DomainError(_("请填写利息金额或利率（二选一）。"), code="interest_input")
    _check_date(on)
    with transaction.atomic():
        _lock(estate)
        balances = {pk: b for pk, b in sorted(dwelling_balances(estate).items()) if b > 0}
        if not balances:
            raise DomainError(_("维修资金余额为 0，没有可以计息的账户。"), code="no_balance")
        if (amount or "").strip():
            total = _amount(amount)
        else:
            total = fund_ledger.percent_of(sum(balances.values()), _percent(rate_percent))
            if total == 0:
                raise DomainError(_("按这个利率计算的利息不足 1 分。"), code="amount_zero")
        shares = fund_ledger.split_fen(total, balances)
        text = _("利息")
        entries = FundEntry.objects.bulk_create(
            FundEntry(dwelling_id=pk, kind=FundEntryKind.INTEREST, amount_fen=fen, on=on, note=text)
            for pk, fen in shares.items()
            if fen > 0
        )
        figures.changed([estate.pk], "fund")
        audit_record(
            actor=actor,
            action="stewardship.fund_interest",
            obj=estate,
            after={"total_fen": total, "on": on.isoformat(), "rate_percent": rate_percent or ""},
        )
    return entries


# --- uses ----------------------------------------------------------------------------------------


def _check_vote(estate: Estate, vote: Vote | None) -> Vote:
    if vote is None:
        raise DomainError(
            _("使用维修资金须经业主表决通过（第 5 项事项），或走应急使用程序。"),
            code="vote_missing",
        )
    if vote.estate_id != estate.pk:
        raise DomainError(_("表决不是本小区的。"), code="vote_estate")
    if vote.matter != FUND_USE_MATTER:
        raise DomainError(
            _("表决事项不符：使用维修资金需要第 5 项事项（使用维修资金）的表决，这是第 %(m)d 项。")
            % {"m": vote.matter},
            code="vote_matter",
        )
    if not vote_passed(vote):
        raise DomainError(
            _("业主表决“%(vote)s”尚未通过或公示期未满。") % {"vote": vote.title},
            code="vote_not_passed",
        )
    return vote


def _vote_dwellings(vote: Vote) -> set[int]:
    qs = Dwelling.objects.filter(estate_id=vote.estate_id)
    if vote.scope == VoteScope.BUILDING:
        qs = qs.filter(building=vote.building)
    elif vote.scope == VoteScope.ENTRANCE:
        qs = qs.filter(entrance=vote.entrance)
    return set(qs.values_list("pk", flat=True))


def _beneficiaries(estate: Estate, dwellings: Iterable[Dwelling]) -> list[Dwelling]:
    chosen = list({d.pk: d for d in dwellings}.values())
    if not chosen:
        raise DomainError(_("请选择受益的房屋。"), code="dwellings_missing")
    if any(d.estate_id != estate.pk for d in chosen):
        raise DomainError(_("受益房屋须是本小区的。"), code="dwellings_estate")
    return sorted(chosen, key=lambda d: d.pk)


def _write_shares(
    withdrawal: FundWithdrawal, dwellings: Sequence[Dwelling], on: dt.date
) -> dict[int, int]:
    """Split the use by exclusive area and write the shares; refuse an overdraft (the first
    dwelling short named), before anything is written. Call inside the estate's lock."""
    try:
        shares = fund_ledger.split_fen(withdrawal.amount_fen, {d.pk: d.area for d in dwellings})
    except contributions.SplitError as error:
        raise DomainError(str(error), code="split") from None
    balances = dwelling_balances(withdrawal.estate)
    short = fund_ledger.first_short(balances, shares)
    if short is not None:
        dwelling = next(d for d in dwellings if d.pk == short)
        raise DomainError(
            _(
                "%(dwelling)s 的维修资金余额 %(balance)s 元，不足以分摊 %(share)s 元；本次使用未记录。"
            )
            % {
                "dwelling": Dwelling.objects.select_related("building", "entrance")
                .get(pk=dwelling.pk)
                .label,
                "balance": yuan(balances.get(short, 0)),
                "share": yuan(shares[short]),
            },
            code="overdraw",
        )
    FundEntry.objects.bulk_create(
        FundEntry(
            dwelling_id=pk,
            kind=FundEntryKind.WITHDRAWAL,
            amount_fen=-fen,
            on=on,
            withdrawal=withdrawal,
            note=withdrawal.title[:TITLE_MAX],
        )
        for pk, fen in shares.items()
        if fen > 0
    )
    figures.changed([withdrawal.estate_id], "fund")
    return shares


def withdrawal_by_vote(
    *,
    estate: Estate,
    title: str,
    amount: str,
    dwellings: Iterable[Dwelling],
    vote: Vote | None,
    on: dt.date,
    actor: Actor,
) -> FundWithdrawal:
    """A use the owners decided (Art. 278 item 5), charged to the dwellings that benefit by
    exclusive area."""
    MANAGE_FUND.require(actor, estate)
    text = _title(title)
    fen = _amount(amount)
    _check_date(on)
    vote = _check_vote(estate, vote)
    chosen = _beneficiaries(estate, dwellings)
    outside = {d.pk for d in chosen} - _vote_dwellings(vote)
    if outside:
        raise DomainError(
            _("受益房屋超出了表决“%(vote)s”的范围。") % {"vote": vote.title}, code="dwellings_scope"
        )
    now = timezone.now()
    with transaction.atomic():
        _lock(estate)
        withdrawal = FundWithdrawal.objects.create(
            estate=estate,
            title=text,
            amount_fen=fen,
            vote=vote,
            applied_by=actor,
            approved_by=actor,
            approved_at=now,
            published_at=now,
            paid_on=on,
        )
        shares = _write_shares(withdrawal, chosen, on)
        audit_record(
            actor=actor,
            action="stewardship.fund_withdraw",
            obj=withdrawal,
            after={"amount_fen": fen, "vote": vote.pk, "dwellings": len(shares)},
        )
    return withdrawal


def withdrawal_emergency_apply(
    *, estate: Estate, title: str, amount: str, reason: str, actor: Actor
) -> FundWithdrawal:
    """An application for an emergency use (应急使用) by the managing body or the owners'
    committee: one of the emergency cases of the local rules."""
    APPLY_FUND.require(actor, estate)
    text = _title(title)
    fen = _amount(amount)
    cases = emergency_cases()
    if reason not in cases:
        raise DomainError(
            _("应急使用只限于：%(cases)s。") % {"cases": "、".join(cases)}, code="reason"
        )
    with transaction.atomic():
        withdrawal = FundWithdrawal.objects.create(
            estate=estate,
            title=text,
            amount_fen=fen,
            emergency=True,
            emergency_reason=reason,
            applied_by=actor,
        )
        audit_record(
            actor=actor,
            action="stewardship.fund_emergency_apply",
            obj=withdrawal,
            after={"amount_fen": fen, "reason": reason},
        )
    return withdrawal


def may_approve(actor: Actor, estate: Estate) -> bool:
    """Whether the actor is street staff or the housing bureau for the estate."""
    q = roles_q(actor, APPROVER_ROLES, scope_path_of(Estate))
    return q is None or Estate.objects.filter(q, pk=estate.pk).exists()


def withdrawal_emergency_approve(
    *, withdrawal: FundWithdrawal, dwellings: Iterable[Dwelling], on: dt.date, actor: Actor
) -> FundWithdrawal:
    """Approve an emergency use — street staff or the housing bureau only — and charge it to
    the dwellings that benefit, by exclusive area."""
    MANAGE_FUND.require(actor, withdrawal)
    if not may_approve(actor, withdrawal.estate):
        raise DomainError(_("应急使用须由街道或住建部门审核同意。"), code="approver_role")
    if not withdrawal.emergency:
        raise DomainError(_("这不是应急使用申请。"), code="not_emergency")
    _check_date(on)
    chosen = _beneficiaries(withdrawal.estate, dwellings)
    with transaction.atomic():
        _lock(withdrawal.estate)
        locked = FundWithdrawal.objects.select_for_update().get(pk=withdrawal.pk)
        if locked.approved_at is not None:
            raise DomainError(_("这项应急使用已经审核过了。"), code="approved")
        locked.approved_by, locked.approved_at, locked.paid_on = actor, timezone.now(), on
        locked.save(update_fields=["approved_by", "approved_at", "paid_on"])
        shares = _write_shares(locked, chosen, on)
        audit_record(
            actor=actor,
            action="stewardship.fund_emergency_approve",
            obj=locked,
            before={"approved": False},
            after={"approved": True, "dwellings": len(shares), "on": on.isoformat()},
        )
    return locked


def withdrawal_publish(*, withdrawal: FundWithdrawal, actor: Actor) -> FundWithdrawal:
    """Publish an approved emergency use to the owners (afterwards, as the rules require)."""
    if not (APPLY_FUND.has(actor, withdrawal) or MANAGE_FUND.has(actor, withdrawal)):
        MANAGE_FUND.require(actor, withdrawal)
    with transaction.atomic():
        locked = FundWithdrawal.objects.select_for_update().get(pk=withdrawal.pk)
        if locked.approved_at is None:
            raise DomainError(_("应急使用审核同意后才能公示。"), code="not_approved")
        if locked.published_at is not None:
            raise DomainError(_("已经公示过了。"), code="published")
        locked.published_at = timezone.now()
        locked.save(update_fields=["published_at"])
        audit_record(
            actor=actor,
            action="stewardship.fund_publish",
            obj=locked,
            after={"published_at": locked.published_at.isoformat()},
        )
    return locked
