"""Disaggregation columns and values learned from a repository, with their labels."""
from __future__ import annotations

from ...models import DisaggregationLabel
from .common import BATCH, opensdg


def learn_columns(repo: opensdg.Repository) -> int:
    """Store the disaggregation columns and values of a repository with their labels (fills blanks, corrects
    labels the repository now gives otherwise, never blanks one); returns how many were added or changed."""
    labels = repo.column_labels()
    if not labels:
        return 0
    existing = {(d.column, d.code): d for d in DisaggregationLabel.objects.all()}
    new, changed = [], []
    for (column, code), texts in labels.items():
        if len(column) > 80 or len(code) > 120:
            continue
        values = {f"label_{lang}": text[:300] for lang, text in texts.items() if text}
        row = existing.get((column, code))
        if row is None:
            new.append(DisaggregationLabel(column=column, code=code, **values))
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            changed.append(row)
    DisaggregationLabel.objects.bulk_create(new, batch_size=BATCH, ignore_conflicts=True)
    if changed:
        DisaggregationLabel.objects.bulk_update(changed, ["label_kk", "label_ru", "label_en"], batch_size=BATCH)
    return len(new) + len(changed)
