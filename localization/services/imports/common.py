"""What every part of an Open SDG import shares: the national repository's place, the lazily imported reader,
the batch size, the history reason, the look-up tables loaded once per import and a file's outcome."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from config.lazy import lazy

from ...models import GlobalIndicator, Goal, Indicator, Region, Target

log = logging.getLogger(__package__)  # "localization.services.imports", the logger's name before the split

NATIONAL_REPOSITORY = Path(settings.BASE_DIR) / "fixtures" / "kazstat-sdg-data"
NATIONAL_SOURCE = "fixtures/kazstat-sdg-data"  # shown as the run's source: a path, the same in every language
opensdg = lazy("localization.core.opensdg")  # pandas is imported when an import or a download runs
#: Rows per multi-row INSERT (SQLite allows 32766 parameters per statement; 18 columns × 500 rows).
BATCH = 500
#: Longest history change reason simple_history stores.
REASON_MAX = 100


def clip_reason(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"


@dataclass
class References:
    """Look-up tables loaded once per import."""

    regions: dict[str, int]  # KATO -> Region.pk
    goals: dict[int, int]  # number -> Goal.pk
    targets: dict[str, int]  # "1.2" -> Target.pk
    global_by_code: dict[str, int]  # "1.2.1" -> GlobalIndicator.pk
    global_by_title: dict[str, int]  # normalised English title -> GlobalIndicator.pk
    indicators: dict[str, Indicator] = field(default_factory=dict)  # code -> Indicator (committed state)
    indicator_targets: dict[int, set[int]] = field(default_factory=dict)  # Indicator.pk -> Target pks

    @classmethod
    def load(cls, codes=None) -> References:
        """``codes``: the indicator codes about to be imported (their rows are loaded in one query)."""
        indicators = Indicator.objects.all() if codes is None else Indicator.objects.filter(code__in=list(codes))
        indicators = {i.code: i for i in indicators}
        links: dict[int, set[int]] = {}
        through = Indicator.targets.through.objects.filter(indicator_id__in=[i.pk for i in indicators.values()])
        for indicator_id, target_id in through.values_list("indicator_id", "target_id"):
            links.setdefault(indicator_id, set()).add(target_id)
        return cls(
            regions=dict(Region.objects.values_list("kato", "pk")),
            goals=dict(Goal.objects.values_list("number", "pk")),
            targets=dict(Target.objects.values_list("code", "pk")),
            global_by_code=dict(GlobalIndicator.objects.values_list("code", "pk")),
            global_by_title={" ".join(t.split()).lower(): pk for t, pk in GlobalIndicator.objects.values_list("title_en", "pk")},
            indicators=indicators,
            indicator_targets=links,
        )


class FileRejected(Exception):
    """A file cannot be imported; ``errors`` are ``file:line: reason`` strings."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class FileOutcome:
    indicator_id: str
    path: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.errors)
