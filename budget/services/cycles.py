"""Cycles: the default bucket, the moment the rules freeze and manual stage changes."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Bucket, Cycle, Stage, StageChange
from .common import BudgetError

def ensure_default_bucket(cycle: Cycle) -> Bucket | None:
    """Buckets are optional: a cycle created without any gets one for all proposals, with all the cycle's money
    (proposals, ballots and the count work per bucket). Returns the bucket created, or None."""
    from django.utils import translation

    if cycle.buckets.exists():
        return None
    names = {}
    for lang in ("kk", "ru", "en"):
        with translation.override(lang):
            names[f"name_{lang}"] = str(_("All proposals of the cycle"))
    return Bucket.objects.create(cycle=cycle, money=cycle.total_money, **names)


def ensure_frozen(cycle: Cycle) -> Cycle:
    """Record the moment voting opened: from then on the rules cannot change."""
    if cycle.frozen_at is None and cycle.is_frozen():
        now = timezone.now()
        Cycle.objects.filter(pk=cycle.pk, frozen_at__isnull=True).update(frozen_at=now)
        cycle.frozen_at = Cycle.objects.values_list("frozen_at", flat=True).get(pk=cycle.pk)
    return cycle


def set_stage(cycle: Cycle, user, to_stage: str, reason: str) -> StageChange:
    """Override the stage (``""`` = follow the dates again), logging who, when, from, to and why."""
    reason = (reason or "").strip()
    if not reason:
        raise BudgetError(_("Give a reason for changing the stage."), "reason_required", "reason")
    if to_stage and to_stage not in Stage.values:
        raise BudgetError(_("Unknown stage."), "bad_stage", "stage")
    with transaction.atomic():
        locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
        change = StageChange.objects.create(
            cycle=locked, changed_by=user, from_stage=locked.stage(), to_stage=to_stage, reason=reason
        )
        Cycle.objects.filter(pk=locked.pk).update(stage_override=to_stage)
        locked.stage_override = to_stage
        ensure_frozen(locked)
    cycle.stage_override = to_stage
    cycle.frozen_at = locked.frozen_at
    return change
