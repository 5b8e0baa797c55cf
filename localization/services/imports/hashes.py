"""Content hashes of imported files and the state of their indicators' values: a file unchanged since its last
import, whose values nobody changed since, is not read again."""
from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Max

from ...models import ImportedFile, ImportRun, IndicatorValue
from .common import BATCH, FileOutcome

if TYPE_CHECKING:
    from .repository import _Prepared


def _values_state(indicator_ids=None) -> dict[int, str]:
    """indicator pk → ``<rows>:<latest updated_at>`` of its stored values (one aggregate query)."""
    qs = IndicatorValue.objects.all()
    if indicator_ids is not None:
        qs = qs.filter(indicator_id__in=list(indicator_ids))
    rows = (qs.order_by().values("indicator_id").annotate(n=Count("id"), m=Max("updated_at"))
            .values_list("indicator_id", "n", "m"))  # order_by(): the model ordering would join the GROUP BY
    return {pk: f"{n}:{m.isoformat() if m else ''}" for pk, n, m in rows}


def known_files() -> tuple[dict[str, str], dict[str, int]]:
    """(path → content hash, path → rows) of the files whose indicators' values are as their last import left
    them: only those may be skipped."""
    files = list(ImportedFile.objects.values_list("indicator_id", "path", "digest", "values_state", "rows"))
    if not files:
        return {}, {}
    state = _values_state()
    by_path: dict[str, list] = {}
    rows: dict[str, int] = {}
    for indicator_id, path, digest, values_state, n in files:
        by_path.setdefault(path, []).append(digest if state.get(indicator_id, "0:") == values_state else None)
        rows[path] = rows.get(path, 0) + n
    known = {path: d[0] for path, d in by_path.items() if None not in d and len(set(d)) == 1}
    return known, {path: rows[path] for path in known}


def _record_files(written: list[tuple[_Prepared, FileOutcome, int]], run: ImportRun) -> None:
    """Store each written file's content hash and its indicator's values state after the import (one aggregate
    query and one bulk upsert for the whole run). Should this fail, the files are merely read again next time."""
    if not written:
        return
    state = _values_state({pk for _p, _o, pk in written})
    rows = [ImportedFile(indicator_id=pk, path=p.file.path[:300], digest=p.file.digest, run=run,
                         values_state=state.get(pk, "0:"), rows=o.created + o.updated + o.unchanged)
            for p, o, pk in written]
    ImportedFile.objects.bulk_create(rows, batch_size=BATCH, update_conflicts=True, unique_fields=["indicator", "path"],
                                     update_fields=["digest", "values_state", "run", "rows", "imported_at"])
