"""Writes for opinions from every channel: staff recording (meetings, hotline, spreadsheets),
residents' own submissions, and category corrections.

Opinions are classified when they are recorded and placed into the estate's demands at once
(see ``services.placing``). Staff record for an estate where they hold
``needs.record_opinions``, and for its buildings and dwellings only as far as that scope
reaches (a grid worker: the grid's buildings); a resident submits for their own home.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.core.rates import RateLimited, rate_setting, wait_needed, wait_text
from xiaoqu.core.uploads import check_photo
from xiaoqu.needs import classifier as clf
from xiaoqu.needs.models import (
    OPINION_MAX_CHARS,
    Channel,
    Correction,
    Opinion,
    Visit,
    heard_on_problem,
)
from xiaoqu.needs.rules import RECORD_OPINIONS
from xiaoqu.needs.services.placing import drop_if_empty, place_opinions
from xiaoqu.registry.models import Building, Dwelling, Estate
from xiaoqu.registry.scope import home_dwelling_ids, home_estate_ids

if TYPE_CHECKING:
    from xiaoqu.accounts.models import User


# --- validation helpers -------------------------------------------------------------------


def clean_opinion_text(text: str | None) -> str:
    """The text as stored (stripped), or a DomainError a resident can read."""
    text = (text or "").strip()
    if len(text) > OPINION_MAX_CHARS:
        raise DomainError(
            _("意见最长 %(max)d 字，这条有 %(n)d 字，请分成几条提交。")
            % {"max": OPINION_MAX_CHARS, "n": len(text)},
            code="text_too_long",
        )
    if not clf.normalise(text):
        raise DomainError(
            _("意见内容为空：请用文字写下您的意见（只有表情符号无法处理）。"), code="text_empty"
        )
    return text


def _check_place(
    estate: Estate, building: Building | None, dwelling: Dwelling | None
) -> Building | None:
    if dwelling is not None:
        if dwelling.estate_id != estate.pk:
            raise DomainError(
                _("房屋不在%(estate)s内。") % {"estate": estate.name}, code="dwelling_outside"
            )
        if building is not None and dwelling.building_id != building.pk:
            raise DomainError(_("房屋不在所选楼栋内。"), code="dwelling_outside_building")
        return dwelling.building
    if building is not None and building.estate_id != estate.pk:
        raise DomainError(
            _("楼栋不在%(estate)s内。") % {"estate": estate.name}, code="building_outside"
        )
    return building


def _check_coordinates(latitude: Decimal | None, longitude: Decimal | None) -> None:
    if (latitude is None) != (longitude is None):
        raise DomainError(_("位置需要同时有纬度和经度。"), code="coordinates_partial")
    if (
        latitude is not None
        and longitude is not None
        and not (-90 <= latitude <= 90 and -180 <= longitude <= 180)
    ):
        raise DomainError(_("位置坐标超出范围。"), code="coordinates_range")


def _check_heard_on(heard_on: dt.date) -> None:
    if heard_on > timezone.localdate() + dt.timedelta(days=1):
        raise DomainError(_("收集日期不能晚于今天。"), code="date_future")
    problem = heard_on_problem(heard_on)
    if problem:
        raise DomainError(problem, code="date_early")


def _require_places(actor: User, opinions: Sequence[Opinion]) -> None:
    """Each opinion's dwelling or building must be in the actor's recording scope."""
    dwellings = {o.dwelling_id for o in opinions if o.dwelling_id is not None}
    buildings = {
        o.building_id for o in opinions if o.dwelling_id is None and o.building_id is not None
    }
    allowed: set[int | None] = set()
    if dwellings:
        allowed |= set(
            RECORD_OPINIONS.scoped(actor, Dwelling.objects.filter(pk__in=dwellings)).values_list(
                "pk", flat=True
            )
        )
    allowed_buildings: set[int | None] = set()
    if buildings:
        allowed_buildings = set(
            RECORD_OPINIONS.scoped(actor, Building.objects.filter(pk__in=buildings)).values_list(
                "pk", flat=True
            )
        )
    for n, o in enumerate(opinions, start=1):
        if o.dwelling_id is not None:
            outside = o.dwelling_id not in allowed
        else:
            outside = o.building_id is not None and o.building_id not in allowed_buildings
        if outside:
            raise DomainError(
                _("第 %(n)d 条：所在的房屋或楼栋不在您的工作范围内。") % {"n": n},
                code="out_of_scope",
            )


# --- opinions -------------------------------------------------------------------------------


@dataclass
class OpinionInput:
    """One opinion before it is stored (the fields every channel shares)."""

    text: str
    heard_on: dt.date | None = None
    building: Building | None = None
    dwelling: Dwelling | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    urgent: bool = False
    photo: UploadedFile | None = None
    client_key: uuid.UUID | None = None
    occasion: str = ""


def build_opinions(
    *,
    estate: Estate,
    items: Sequence[OpinionInput],
    channel: str,
    recorded_by: User | None = None,
    submitted_by: User | None = None,
    visit: Visit | None = None,
) -> list[Opinion]:
    """Unsaved, classified opinions of ``items``; a DomainError for a bad place, position,
    photo or date. Checks nothing of the actor: the calling service does."""
    if not items:
        return []
    texts = [clean_opinion_text(item.text) for item in items]
    for item in items:
        item.building = _check_place(estate, item.building, item.dwelling)
        _check_coordinates(item.latitude, item.longitude)
        check_photo(item.photo)
    today = timezone.localdate()
    predictions = clf.classify(texts)
    opinions = []
    for item, text, prediction in zip(items, texts, predictions, strict=True):
        heard_on = item.heard_on or today
        _check_heard_on(heard_on)
        opinions.append(
            Opinion(
                client_key=item.client_key or uuid.uuid4(),
                estate=estate,
                building=item.building,
                dwelling=item.dwelling,
                latitude=item.latitude,
                longitude=item.longitude,
                channel=channel,
                occasion=item.occasion[:150],
                visit=visit,
                submitted_by=submitted_by,
                recorded_by=recorded_by,
                text=text,
                heard_on=heard_on,
                category=prediction.code,
                score=prediction.score,
                urgent=item.urgent,
            )
        )
    return opinions


def save_opinions(opinions: list[Opinion], items: Sequence[OpinionInput]) -> list[Opinion]:
    """Store built opinions with their photos (inside the caller's transaction)."""
    for opinion, item in zip(opinions, items, strict=True):
        if item.photo is not None:
            opinion.photo.save(item.photo.name or "photo.jpg", item.photo, save=False)
        opinion.save()
    return opinions


def opinions_record(
    *,
    estate: Estate,
    items: Sequence[OpinionInput],
    channel: str,
    actor: User,
) -> list[Opinion]:
    """Staff record opinions heard through ``channel`` (meeting, hotline, import) in one go.

    All or nothing: one bad opinion (empty, too long, a dwelling outside the estate) refuses
    the whole batch with a message naming it. Opinions heard at a meeting are linked to it by
    the meetings app, which calls this.
    """
    if channel not in (Channel.MEETING, Channel.HOTLINE, Channel.IMPORT):
        raise DomainError(_("渠道不正确。"), code="channel")
    RECORD_OPINIONS.require(actor, estate)
    if not items:
        raise DomainError(_("没有可录入的意见。"), code="nothing")
    for n, item in enumerate(items, start=1):
        try:
            clean_opinion_text(item.text)
        except DomainError as error:
            raise DomainError(
                _("第 %(n)d 条：%(msg)s") % {"n": n, "msg": error.message}, code=error.code
            ) from None
    with transaction.atomic():
        opinions = build_opinions(estate=estate, items=items, channel=channel, recorded_by=actor)
        _require_places(actor, opinions)
        save_opinions(opinions, items)
        place_opinions(estate, opinions)
        audit_record(
            actor=actor,
            action="needs.opinions_record",
            obj=estate,
            after={"channel": channel, "opinions": [o.pk for o in opinions]},
        )
    return opinions


def opinion_submit(
    *,
    user: User,
    estate: Estate,
    item: OpinionInput,
) -> tuple[Opinion, bool]:
    """A resident's own submission from their phone; (opinion, created).

    Only for an estate where the user owns or lives in a dwelling; a dwelling given must be
    the user's own. Sending again with the same ``client_key`` returns the stored opinion.
    More than ``XIAOQU_OPINION_RATE`` new opinions in its window are refused
    (``RateLimited``, which pages and the API answer with 429).
    """
    if estate.pk not in home_estate_ids(user):
        raise DomainError(_("您只能为自己居住的小区提意见。"), code="not_resident")
    if item.dwelling is not None and (
        item.dwelling.pk not in home_dwelling_ids(user) or item.dwelling.estate_id != estate.pk
    ):
        raise DomainError(_("只能选择您自己的房屋。"), code="dwelling_not_own")
    if item.client_key is not None:
        existing = Opinion.objects.filter(client_key=item.client_key).first()
        if existing is not None:
            if existing.submitted_by_id != user.pk:
                raise DomainError(_("提交编号已被使用。"), code="key_taken")
            return existing, False
    _check_opinion_rate(user)
    try:
        with transaction.atomic():
            (opinion,) = build_opinions(
                estate=estate, items=[item], channel=Channel.RESIDENT, submitted_by=user
            )
            save_opinions([opinion], [item])
            place_opinions(estate, [opinion])
            audit_record(actor=user, action="needs.opinion_submit", obj=opinion)
    except IntegrityError:
        if item.client_key is None:
            raise
        existing = Opinion.objects.filter(client_key=item.client_key).first()
        if existing is None or existing.submitted_by_id != user.pk:
            raise
        return existing, False
    return opinion, True


def _check_opinion_rate(user: User) -> None:
    """At most ``XIAOQU_OPINION_RATE`` opinions of a resident in its window (a flood of
    opinions would bury the others and skew the demand list's counts)."""
    rate = rate_setting("XIAOQU_OPINION_RATE")
    wait = wait_needed(
        rate, Opinion.objects.filter(submitted_by=user), "created_at", timezone.now()
    )
    if rate is not None and wait is not None:
        raise RateLimited(
            _(
                "您在 %(window)s内已提交 %(n)d 条意见，达到上限，请 %(wait)s后再提交。"
                "紧急情况请直接联系社区或拨打热线。"
            )
            % {"window": rate.window_text(), "n": rate.count, "wait": wait_text(wait)},
            retry_after=int(wait.total_seconds()) + 1,
        )


def opinion_recategorise(*, opinion: Opinion, category: str, actor: User) -> Opinion:
    """Staff correct an opinion's category; the correction is kept for the next retraining.

    The opinion leaves its demand (unless staff placed it there) and is placed again under
    its new category.
    """
    if category not in clf.category_classes():
        raise DomainError(_("没有这个类别。"), code="category")
    RECORD_OPINIONS.require(actor, opinion)
    if category == opinion.category:
        return opinion
    with transaction.atomic():
        old = opinion.category
        Correction.objects.create(
            opinion=opinion, old_category=old, new_category=category, corrected_by=actor
        )
        opinion.category = category
        opinion.category_by_staff = True
        old_demand = opinion.demand
        if not opinion.placed_by_staff:
            opinion.demand = None
        opinion.save(update_fields=["category", "category_by_staff", "demand"])
        if opinion.demand_id is None:
            place_opinions(opinion.estate, [opinion])
        if old_demand is not None:
            drop_if_empty(old_demand)
        audit_record(
            actor=actor,
            action="needs.opinion_recategorise",
            obj=opinion,
            before={"category": old},
            after={"category": category, "demand": opinion.demand_id},
        )
    return opinion


def opinions_recategorise(
    *, opinions: Sequence[Opinion], category: str, actor: User
) -> list[Opinion]:
    """Staff give several opinions one category (the opinion list's bulk action): each as
    :func:`opinion_recategorise` does, all or none (one not theirs to correct refuses all)."""
    if not opinions:
        raise DomainError(_("请先勾选要改正类别的意见。"), code="none_selected")
    if category not in clf.category_classes():
        raise DomainError(_("没有这个类别。"), code="category")
    with transaction.atomic():
        return [
            opinion_recategorise(opinion=opinion, category=category, actor=actor)
            for opinion in opinions
        ]


def corrections_for_training() -> list[tuple[str, str]]:
    """(text, category) of every corrected opinion, its latest correction winning."""
    latest: dict[int, tuple[str, str]] = {}
    rows = Correction.objects.select_related("opinion").order_by("corrected_at", "pk")
    for c in rows.iterator():
        latest[c.opinion_id] = (c.opinion.text, c.new_category)
    return list(latest.values())


# --- spreadsheet import ----------------------------------------------------------------------


def opinions_import(
    *,
    estate: Estate,
    upload: UploadedFile,
    actor: User,
    buildings: Iterable[Building] | None = None,
) -> list[Opinion]:
    """Store every opinion of an uploaded spreadsheet, or none (see ``needs.importing``).

    Raises ``OpinionFileRefused`` or ``OpinionRowsRefused`` (both DomainErrors) and stores
    nothing when the file or any row is wrong.
    """
    from xiaoqu.needs.importing import read_opinion_file

    RECORD_OPINIONS.require(actor, estate)
    items = read_opinion_file(upload, estate=estate, buildings=buildings)
    return opinions_record(estate=estate, items=items, channel=Channel.IMPORT, actor=actor)
