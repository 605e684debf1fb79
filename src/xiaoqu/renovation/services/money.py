"""Writes of a project's money: funds received, payments, reversals, residents' shares.

The ledger (``MoneyEntry``) is append-only. A receipt is money from a source (中央补助, 专项债,
居民出资 …) arriving for the project; a payment is money paid from a source for an item, and
only from a source the item is funded by. Amounts are typed in yuan and kept in integer fen,
exactly: more than two decimals, a negative or zero amount, or more than
``MAX_ENTRY_FEN`` is refused, never rounded. Dates may not be in the future. A voucher (PDF,
JPEG, PNG, WebP or GIF, at most ``DOCUMENT_MAX_BYTES``, recognised by its bytes) may be kept
with an entry.

Payments beyond an item's budget or beyond what a source has received are recorded (works
are often paid before the transfer arrives) and flagged by the ledger's alerts
(``renovation.ledger``); the page says so at once. A mistake is never edited or deleted: it
is cancelled by a reversing entry (:func:`entry_reverse`), the same line with the opposite
amount and the reason, which itself cannot be reversed; an entry is reversed at most once.

Residents' contributions (:func:`contribution_split`) split an item's 居民出资 over the
dwellings it serves — the item's entrance for an added elevator, else the item's estate —
by exclusive area (Civil Code Art. 283, the default) or by a floor coefficient table
(``XIAOQU_ELEVATOR_FLOOR_COEFFICIENTS`` as the default table), with the pure
``renovation.contributions``. The amount may not exceed the item's planned 居民出资. A split
may be replaced until money from 居民出资 has been paid for the item or the project is
completed; each split is an event row with the totals before and after.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import Actor
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.core.money import yuan
from xiaoqu.core.uploads import image_type, sniff_image
from xiaoqu.registry.models import Dwelling
from xiaoqu.renovation import contributions
from xiaoqu.renovation.models import (
    Contribution,
    ContributionPlan,
    EntryKind,
    FundSource,
    ItemFunding,
    MoneyEntry,
    Project,
    ProjectItem,
    ProjectStage,
    SplitMethod,
)
from xiaoqu.renovation.rules import MANAGE_MONEY, MANAGE_PROJECTS
from xiaoqu.renovation.services.projects import record_event

# One ledger line of at most 1,000,000,000.00 yuan (10亿元): a typed extra digit is refused.
MAX_ENTRY_FEN = 100_000_000_000
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
EARLIEST_DATE = dt.date(2000, 1, 1)
PDF_MAGIC = b"%PDF-"
DOCUMENT_EXTENSIONS = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
}
# A reversing entry's note: "冲销#<id>：<reason>" (the id says which entry it cancels).
REVERSAL_PREFIX = "冲销#"
_REVERSAL = re.compile(r"冲销#(\d+)：")
# "12345.6", "12,345.60": digits (ASCII only), optional thousands commas, up to two decimals.
_YUAN = re.compile(r"(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]{1,2})?")
_COEFFICIENT = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,4})?")
MAX_COEFFICIENT = Decimal(100)
FLOOR_RANGE = range(-9, 201)


# --- parsing ---------------------------------------------------------------------------------


def yuan_to_fen(text: str | None) -> int:
    """An amount typed in yuan ("12345.6", "12,345.60") as integer fen, exactly.

    Refused with a message: empty, not a number, more than two decimals, negative, zero, or
    more than ``MAX_ENTRY_FEN``.
    """
    value = (text or "").strip().replace("，", ",")
    if not value:
        raise DomainError(_("请填写金额。"), code="amount_missing")
    if value.startswith("-"):
        raise DomainError(_("金额不能为负数；记错的款项请用“冲销”更正。"), code="amount_negative")
    if len(value) > 40:
        raise DomainError(
            _("金额超过 %(max)s 元，请核对。") % {"max": yuan(MAX_ENTRY_FEN)},
            code="amount_too_large",
        )
    if not _YUAN.fullmatch(value):
        if re.fullmatch(r"[0-9,]*\.[0-9]{3,}", value):
            raise DomainError(_("金额最多精确到分（两位小数）。"), code="amount_decimals")
        raise DomainError(
            _("金额“%(value)s”不是有效的数字（如 12345.60）。") % {"value": value[:40]},
            code="amount_invalid",
        )
    fen = int(Decimal(value.replace(",", "")) * 100)
    if fen == 0:
        raise DomainError(_("金额必须大于 0。"), code="amount_zero")
    if fen > MAX_ENTRY_FEN:
        raise DomainError(
            _("金额超过 %(max)s 元，请核对。") % {"max": yuan(MAX_ENTRY_FEN)},
            code="amount_too_large",
        )
    return fen


def _check_date(on: dt.date) -> None:
    if on > timezone.localdate():
        raise DomainError(_("日期不能晚于今天。"), code="date_future")
    if on < EARLIEST_DATE:
        raise DomainError(_("日期不能早于 2000 年。"), code="date_past")


def document_type(document: UploadedFile | None) -> str | None:
    """The content type of a voucher from its bytes (None without one); a file too large or of
    another kind is refused."""
    if document is None:
        return None
    if document.size is not None and document.size > DOCUMENT_MAX_BYTES:
        raise DomainError(
            _("凭证文件太大（%(mb).1f MB），最大 %(max)d MB。")
            % {"mb": document.size / 1024 / 1024, "max": DOCUMENT_MAX_BYTES // 1024 // 1024},
            code="document_too_large",
        )
    head = document.read(12)
    document.seek(0)
    kind = "application/pdf" if head.startswith(PDF_MAGIC) else image_type(head)
    # An image must be a whole picture Pillow reads, not a file that only starts like one.
    if kind is None or (kind != "application/pdf" and sniff_image(document) is None):
        raise DomainError(
            _("凭证格式不支持：请上传 PDF，或 JPG、PNG、WebP、GIF 图片。"), code="document_type"
        )
    return kind


def sniff_document(head: bytes) -> str | None:
    """The content type of a stored voucher from its first bytes (for serving it)."""
    return "application/pdf" if head.startswith(PDF_MAGIC) else image_type(head)


def _text(value: str | None, limit: int) -> str:
    return " ".join((value or "").split())[:limit]


# --- the ledger ------------------------------------------------------------------------------


def _planned_sources(project: Project) -> set[str]:
    return set(
        ItemFunding.objects.filter(item__project=project, planned_fen__gt=0).values_list(
            "source", flat=True
        )
    )


def _locked(project: Project) -> Project:
    """The project row locked, so two writes of one project's ledger run one after the other."""
    return Project.objects.select_for_update().get(pk=project.pk)


def _keep_document(entry: MoneyEntry, document: UploadedFile | None, kind: str | None) -> None:
    if document is None or kind is None:
        return
    # The stored name is ours: nothing of the uploaded file's name reaches the disk.
    entry.document.save(f"{uuid.uuid4().hex}.{DOCUMENT_EXTENSIONS[kind]}", document, save=False)


def receipt_record(
    *,
    project: Project,
    source: str,
    amount: str,
    on: dt.date,
    actor: Actor,
    note: str = "",
    payee: str = "",
    document: UploadedFile | None = None,
) -> MoneyEntry:
    """Money from ``source`` received for the project (到位), e.g. a transfer of 中央补助."""
    MANAGE_MONEY.require(actor, project)
    if source not in FundSource.values:
        raise DomainError(_("请选择资金来源。"), code="source")
    fen = yuan_to_fen(amount)
    _check_date(on)
    kind = document_type(document)
    if source not in _planned_sources(project):
        raise DomainError(
            _("本项目没有计划“%(source)s”资金，请先在条目的资金来源中列入。")
            % {"source": FundSource(source).label},
            code="source_not_planned",
        )
    with transaction.atomic():
        _locked(project)
        entry = MoneyEntry(
            project=project,
            kind=EntryKind.RECEIPT,
            source=source,
            amount_fen=fen,
            on=on,
            payee=_text(payee, 200),
            note=_text(note, 300),
            recorded_by=actor,
        )
        _keep_document(entry, document, kind)
        entry.save()
        _record(entry, actor, "renovation.receipt_record")
    return entry


def payment_record(
    *,
    item: ProjectItem,
    source: str,
    amount: str,
    on: dt.date,
    payee: str,
    actor: Actor,
    note: str = "",
    document: UploadedFile | None = None,
) -> MoneyEntry:
    """Money paid from ``source`` for ``item``, to ``payee`` (the builder, the designer …).

    The item must be funded by the source. A payment beyond the item's budget or beyond what
    the source has received is recorded and flagged (see ``money_selectors.project_money``).
    """
    MANAGE_MONEY.require(actor, item)
    if source not in FundSource.values:
        raise DomainError(_("请选择资金来源。"), code="source")
    fen = yuan_to_fen(amount)
    _check_date(on)
    payee = _text(payee, 200)
    if not payee:
        raise DomainError(_("请填写收款单位。"), code="payee")
    kind = document_type(document)
    if not item.funding.filter(source=source, planned_fen__gt=0).exists():
        raise DomainError(
            _("“%(item)s”的资金来源中没有“%(source)s”。")
            % {"item": item.title, "source": FundSource(source).label},
            code="source_not_funding",
        )
    with transaction.atomic():
        _locked(item.project)
        entry = MoneyEntry(
            project=item.project,
            item=item,
            kind=EntryKind.PAYMENT,
            source=source,
            amount_fen=fen,
            on=on,
            payee=payee,
            note=_text(note, 300),
            recorded_by=actor,
        )
        _keep_document(entry, document, kind)
        entry.save()
        _record(entry, actor, "renovation.payment_record")
    return entry


def reversal_note(entry_id: int, reason: str) -> str:
    return f"{REVERSAL_PREFIX}{entry_id}：{reason}"[:300]


def reversed_entry_id(note: str) -> int | None:
    """The id of the entry a reversing entry's note names (None for any other note)."""
    match = _REVERSAL.match(note)
    return int(match.group(1)) if match else None


def entry_reverse(
    *, entry: MoneyEntry, reason: str, actor: Actor, on: dt.date | None = None
) -> MoneyEntry:
    """Cancel ``entry`` with a reversing entry (negative, dated ``on`` or today, noting the
    reason); the entry itself stays as it was. A reversing entry cannot be reversed, and an
    entry is reversed once."""
    MANAGE_MONEY.require(actor, entry)
    reason = _text(reason, 200)
    if not reason:
        raise DomainError(_("请说明冲销原因。"), code="reason")
    on = on or timezone.localdate()
    _check_date(on)
    if entry.amount_fen < 0:
        raise DomainError(_("冲销记录不能再冲销。"), code="reversal_of_reversal")
    with transaction.atomic():
        _locked(entry.project)
        if MoneyEntry.objects.filter(
            project_id=entry.project_id,
            amount_fen__lt=0,
            note__startswith=f"{REVERSAL_PREFIX}{entry.pk}：",
        ).exists():
            raise DomainError(_("这笔记录已经冲销过。"), code="already_reversed")
        reversal = MoneyEntry.objects.create(
            project_id=entry.project_id,
            item_id=entry.item_id,
            kind=entry.kind,
            source=entry.source,
            amount_fen=-entry.amount_fen,
            on=on,
            payee=entry.payee,
            note=reversal_note(entry.pk, reason),
            recorded_by=actor,
        )
        _record(reversal, actor, "renovation.entry_reverse", reverses=entry.pk)
    return reversal


def _record(entry: MoneyEntry, actor: Actor, action: str, **extra: Any) -> None:
    label = EntryKind(entry.kind).label if entry.amount_fen > 0 else _("冲销")
    note = _("%(source)s%(kind)s %(amount)s 元") % {
        "source": FundSource(entry.source).label,
        "kind": label,
        "amount": yuan(entry.amount_fen),
    }
    if entry.payee and entry.kind == EntryKind.PAYMENT:
        note += f"（{entry.payee}）"
    record_event(entry.project, f"money_{entry.kind}", actor, item=entry.item, note=note)
    audit_record(
        actor=actor,
        action=action,
        obj=entry,
        after={
            "kind": entry.kind,
            "source": entry.source,
            "item": entry.item_id,
            "amount_fen": entry.amount_fen,
            "on": entry.on.isoformat(),
            "document": bool(entry.document),
            **extra,
        },
    )


# --- residents' contributions -----------------------------------------------------------------


def parse_coefficients(raw: Mapping[Any, Any]) -> dict[int, Decimal]:
    """A floor coefficient table {floor: coefficient} from typed values; blank values are
    left out (such a floor takes the coefficient of the floor below). Floors are whole
    numbers from -9 to 200 (not 0), coefficients from 0 to 100 with at most four decimals."""
    table: dict[int, Decimal] = {}
    if len(raw) > len(FLOOR_RANGE):
        raise DomainError(_("楼层系数表太长。"), code="coefficients")
    for key, value in raw.items():
        text = str(value if value is not None else "").strip()
        if not text:
            continue
        try:
            floor = int(str(key).strip())
        except ValueError:
            floor = 0
        if floor == 0 or floor not in FLOOR_RANGE:
            raise DomainError(
                _("楼层“%(floor)s”无效。") % {"floor": str(key)[:10]}, code="coefficient_floor"
            )
        if not _COEFFICIENT.fullmatch(text) or Decimal(text) > MAX_COEFFICIENT:
            raise DomainError(
                _("第 %(floor)d 层的系数“%(value)s”应为 0 到 100 之间的数，最多四位小数。")
                % {"floor": floor, "value": text[:20]},
                code="coefficient_value",
            )
        table[floor] = Decimal(text)
    return dict(sorted(table.items()))


def default_floor_coefficients() -> dict[int, Decimal]:
    """The default table of ``XIAOQU_ELEVATOR_FLOOR_COEFFICIENTS`` ("1:0,2:0.4,…")."""
    text = str(getattr(settings, "XIAOQU_ELEVATOR_FLOOR_COEFFICIENTS", ""))
    try:
        pairs = dict(part.split(":", 1) for part in text.split(",") if part.strip())
        return parse_coefficients(pairs)
    except (ValueError, DomainError) as error:
        raise ImproperlyConfigured(
            f"XIAOQU_ELEVATOR_FLOOR_COEFFICIENTS must read like 1:0,2:0.4,3:0.8 ({error})"
        ) from None


def contribution_dwellings(item: ProjectItem) -> list[Dwelling]:
    """The dwellings that share an item: its entrance's for an added elevator (an item with an
    entrance), else every dwelling of its estate."""
    if item.entrance_id is not None:
        dwellings = Dwelling.objects.filter(entrance_id=item.entrance_id)
    else:
        dwellings = Dwelling.objects.filter(estate_id=item.estate_id)
    return list(
        dwellings.select_related("building", "entrance").order_by(
            "building__number", "entrance__number", "floor", "number"
        )
    )


def owners_planned_fen(item: ProjectItem) -> int:
    return int(
        item.funding.filter(source=FundSource.OWNERS).aggregate(s=Sum("planned_fen"))["s"] or 0
    )


def _check_can_split(item: ProjectItem, fen: int) -> None:
    planned = owners_planned_fen(item)
    if planned == 0:
        raise DomainError(_("这个条目没有计划居民出资。"), code="no_owners_funding")
    if fen > planned:
        raise DomainError(
            _("分摊总额 %(amount)s 元超过计划的居民出资 %(planned)s 元。")
            % {"amount": yuan(fen), "planned": yuan(planned)},
            code="above_owners_funding",
        )
    if item.project.stage == ProjectStage.COMPLETED:
        raise DomainError(_("项目已经完成，不能再分摊。"), code="stage")
    paid = item.payments.filter(source=FundSource.OWNERS).aggregate(s=Sum("amount_fen"))["s"]
    if paid and ContributionPlan.objects.filter(item=item).exists():
        raise DomainError(
            _("这个条目已经用居民出资支付过，分摊方案不能再改。"), code="split_after_payment"
        )


def _shares(
    dwellings: list[Dwelling],
    method: str,
    fen: int,
    table: Mapping[int, Decimal],
    times_area: bool,
) -> dict[int, Decimal]:
    amount = Decimal(fen) / 100
    try:
        if method == SplitMethod.AREA:
            return contributions.by_area(amount, {d.pk: d.area for d in dwellings})
        return contributions.by_floor(
            amount,
            {d.pk: d.floor for d in dwellings},
            table,
            areas={d.pk: d.area for d in dwellings} if times_area else None,
        )
    except contributions.SplitError as error:
        raise DomainError(str(error), code="split") from None


def contribution_split(
    *,
    item: ProjectItem,
    method: str,
    amount: str,
    actor: Actor,
    coefficients: Mapping[Any, Any] | None = None,
    times_area: bool = False,
) -> ContributionPlan:
    """Split ``amount`` yuan of the item's 居民出资 over its dwellings (see the module's
    rules), replacing an earlier split; the shares add up to the amount exactly."""
    MANAGE_PROJECTS.require(actor, item)
    if method not in SplitMethod.values:
        raise DomainError(_("请选择分摊方式。"), code="method")
    fen = yuan_to_fen(amount)
    _check_can_split(item, fen)
    table: dict[int, Decimal] = {}
    if method == SplitMethod.FLOOR:
        table = parse_coefficients(coefficients or {})
        if not table:
            raise DomainError(_("请填写楼层系数。"), code="coefficients")
    else:
        times_area = False
    dwellings = contribution_dwellings(item)
    if not dwellings:
        raise DomainError(_("档案中没有这个条目涉及的房屋。"), code="no_dwellings")
    shares = _shares(dwellings, method, fen, table, times_area)
    with transaction.atomic():
        before = ContributionPlan.objects.filter(item=item).first()
        before_audit = (
            {"method": before.method, "amount_fen": before.amount_fen} if before else None
        )
        if before is not None:
            before.delete()
        plan = ContributionPlan.objects.create(
            item=item,
            method=method,
            amount_fen=fen,
            coefficients={str(f): str(c) for f, c in table.items()},
            times_area=times_area,
            created_by=actor,
        )
        Contribution.objects.bulk_create(
            Contribution(plan=plan, dwelling_id=pk, amount_fen=int(share * 100))
            for pk, share in shares.items()
        )
        record_event(
            item.project,
            "contribution_split",
            actor,
            item=item,
            note=_("居民出资 %(amount)s 元%(method)s分摊到 %(n)d 户")
            % {"amount": yuan(fen), "method": SplitMethod(method).label, "n": len(shares)},
        )
        audit_record(
            actor=actor,
            action="renovation.contribution_split",
            obj=plan,
            before=before_audit,
            after={
                "item": item.pk,
                "method": method,
                "amount_fen": fen,
                "coefficients": plan.coefficients,
                "times_area": times_area,
                "dwellings": len(shares),
            },
        )
    return plan
