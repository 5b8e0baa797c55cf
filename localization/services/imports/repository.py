"""Import a whole Open SDG repository: read, plan, write in groups (one transaction each, retried one file per
transaction when the database refuses a group), record progress, hashes and labels."""
from __future__ import annotations

import gc
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db import DatabaseError, transaction
from django.utils import timezone

from jobs import runner

from ...models import ImportRun, Indicator
from .codes import code_table, sort_key
from .common import FileOutcome, FileRejected, References, clip_reason, log, opensdg
from .hashes import _record_files, known_files
from .indicators import IndicatorPlan, apply_indicators, plan_indicator
from .labels import learn_columns
from .writing import Rows, RowSpec, ValueWriter, apply_plans, plan_rows

#: Rows per transaction (and so per progress step) of a repository import.
GROUP_ROWS = 10000


# ---------------------------------------------------------------------------------------------------------------
# whole repositories


@dataclass
class _Prepared:
    file: opensdg.IndicatorFile
    indicator: IndicatorPlan
    rows: Rows


def _write_group(group: list[_Prepared], refs: References, writer: ValueWriter, *, user, reason: str
                 ) -> tuple[list[FileOutcome], dict[str, int]]:
    """Write a group of validated files in the current transaction. Raises FileRejected / DatabaseError."""
    indicators = apply_indicators([p.indicator for p in group], refs, user=user, reason=reason)
    known = [indicators[p.file.indicator_id].pk for p in group if p.file.indicator_id in refs.indicators]
    existing = writer.existing(known) if known else {}
    now = timezone.now()
    now_db = writer.prep_now(now)
    plans, outcomes = [], []
    for p in group:
        indicator = indicators[p.file.indicator_id]
        plan = plan_rows(indicator.pk, p.rows, existing.get(indicator.pk) if existing else None, RowSpec(),
                         path=p.file.path, writer=writer, now_db=now_db)
        plans.append(plan)
        outcomes.append(FileOutcome(p.file.indicator_id, p.file.path, len(plan.new), len(plan.changed), plan.unchanged))
    apply_plans(writer, plans, user_id=getattr(user, "pk", None), reason=reason, now=now)
    return outcomes, {code: indicator.pk for code, indicator in indicators.items()}


def _save_progress(run: ImportRun, **fields) -> None:
    # In a job, progress is visible at once and the final status only after the commit (jobs.runner).
    runner.update_row(run, **fields)


@contextmanager
def _gc_paused():
    """The cyclic garbage collector off for the duration: an import allocates a few hundred thousand short-lived
    tuples without cycles, which otherwise trigger full collections worth a tenth of the import's time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def import_repository(root, *, user=None, source: str = "", run: ImportRun | None = None, only=None,
                      duplicates: str | None = None, skip_unchanged: bool = True) -> ImportRun:
    """Import a whole Open SDG data repository; returns the finished :class:`ImportRun`.

    ``only``: indicator ids to import (default: every ``data/indicator_*.csv``). ``duplicates``: the reader's
    policy for repeated keys: ``"first"`` (default, what the Open SDG platform shows) or ``"error"`` (strict). The run's ``warnings`` attribute lists the
    rows the reader repaired or skipped, and every file or input it did not read with what it expected.
    ``skip_unchanged``: a file whose content hash (data, its metadata, the translations) is the one stored at its
    last import, for an indicator whose values nobody changed since, is not read again (``files_unchanged``).
    """
    with _gc_paused():
        return _import_repository(Path(root), user=user, source=source, run=run, only=only, duplicates=duplicates,
                                  skip_unchanged=skip_unchanged)


def _import_repository(root: Path, *, user, source: str, run: ImportRun | None, only, duplicates: str | None,
                       skip_unchanged: bool = True) -> ImportRun:
    if run is None:
        run = ImportRun.objects.create(user=user, source=(source or str(root))[:300])
    user = user if user is not None else run.user
    reason = clip_reason(f"Open SDG import #{run.pk}: {run.source}")
    known, known_rows = known_files() if skip_unchanged else ({}, {})
    try:
        repo = opensdg.read_repository(root, codes=code_table(), only=set(only) if only else None,
                                       duplicates=duplicates or national_duplicates(root), known=known)
    except (OSError, ValueError) as exc:
        _finish(run, errors=[f"{root.name}:0: cannot read the repository: {exc}"], failed=1)
        return run
    files = sorted(repo.files, key=lambda f: sort_key(f.indicator_id))
    _save_progress(run, files_total=len(files) + len(repo.unchanged), files_unchanged=len(repo.unchanged),
                   files_done=len(repo.unchanged), rows_unchanged=sum(known_rows.get(u.path, 0) for u in repo.unchanged))
    errors = [str(e) for e in repo.metadata_errors]
    _save_progress(run, warnings=[str(w) for w in repo.skipped] + [str(w) for w in repo.warnings])
    if not files and not repo.unchanged:
        where = repo.config or "data/"
        errors.append(f"{root.name}/{where}:0: no data file found (expected data/indicator_<id>.csv files, or the "
                      f"inputs listed in config_data.yml)")
    refs = References.load(codes=[f.indicator_id for f in files])
    writer = ValueWriter()
    totals = Counter(done=run.files_done, unchanged=run.rows_unchanged)

    def count(outcome: FileOutcome) -> None:
        totals["done"] += 1
        totals["created"] += outcome.created
        totals["updated"] += outcome.updated
        totals["unchanged"] += outcome.unchanged
        if outcome.failed:
            totals["failed"] += 1
            errors.extend(outcome.errors)

    prepared: list[_Prepared] = []
    for f in files:
        if f.errors:
            count(FileOutcome(f.indicator_id, f.path, errors=[str(e) for e in f.errors]))
            continue
        try:
            prepared.append(_Prepared(f, plan_indicator(repo, f.indicator_id, f.frame, refs, f.path),
                                      Rows.from_frame(f.frame, refs.regions)))
        except FileRejected as exc:
            count(FileOutcome(f.indicator_id, f.path, errors=exc.errors))
    groups, size = [[]], 0
    for p in prepared:
        if groups[-1] and size + len(p.rows) > GROUP_ROWS:
            groups.append([])
            size = 0
        groups[-1].append(p)
        size += len(p.rows)

    def progress() -> None:
        _save_progress(run, files_done=totals["done"], files_failed=totals["failed"], rows_created=totals["created"],
                       rows_updated=totals["updated"], rows_unchanged=totals["unchanged"], errors=errors)

    written: list[tuple[_Prepared, FileOutcome, int]] = []  # committed files, for their content hashes
    for group in (g for g in groups if g):
        try:
            with transaction.atomic():
                outcomes, pks = _write_group(group, refs, writer, user=user, reason=reason)
                pending = [(p, o, pks[p.file.indicator_id]) for p, o in zip(group, outcomes)]
                for outcome in outcomes:
                    count(outcome)
                progress()
            single = None
        except (FileRejected, DatabaseError):
            single = group  # retry one file per transaction so that only the bad file is left out
        if single:
            for p in single:
                try:
                    with transaction.atomic():
                        outcomes, pks = _write_group([p], refs, writer, user=user, reason=reason)
                        count(outcomes[0])
                        progress()
                except FileRejected as exc:
                    count(FileOutcome(p.file.indicator_id, p.file.path, errors=exc.errors))
                except DatabaseError as exc:
                    log.exception("import of %s failed", p.file.path)
                    count(FileOutcome(p.file.indicator_id, p.file.path, errors=[
                        f"{p.file.path}:0: the database refused the file ({exc.__class__.__name__}); nothing from it was imported"]))
                else:
                    _remember(refs, [p])
                    written.append((p, outcomes[0], pks[p.file.indicator_id]))
            progress()
        else:
            _remember(refs, group)
            written += pending
    progress()
    # Issue 10: directions from fixtures/progress for new indicators; values outside an indicator's bounds flagged.
    from localization.services.provenance import after_import

    _save_progress(run, warnings=[*(run.warnings or []), *after_import([f.indicator_id for f in files])])
    try:
        with transaction.atomic():
            _record_files(written, run)
    except DatabaseError:
        log.exception("storing the content hashes of import %s failed", run.pk)
    if repo.files:
        try:
            with transaction.atomic():
                learn_columns(repo)
        except DatabaseError:  # labels are a convenience: the values are in
            log.exception("learning the disaggregation labels of %s failed", root)
    failed_meta = len({e.file for e in repo.metadata_errors})
    _finish(run, errors=errors, failed=totals["failed"] + failed_meta + (0 if files or repo.unchanged else 1))
    return run


def _remember(refs: References, group: list[_Prepared]) -> None:
    """After a commit: cache the stored indicators and their target links for later groups and re-runs."""
    codes = [p.file.indicator_id for p in group]
    for indicator in Indicator.objects.filter(code__in=codes):
        refs.indicators[indicator.code] = indicator
    through = Indicator.targets.through.objects.filter(indicator__code__in=codes)
    for indicator_id, target_id in through.values_list("indicator_id", "target_id"):
        refs.indicator_targets.setdefault(indicator_id, set()).add(target_id)


def _finish(run: ImportRun, *, errors: list[str], failed: int) -> None:
    _save_progress(run, errors=errors, files_failed=failed, finished_at=timezone.now(),
                   status=ImportRun.Status.FAILED if failed or errors else ImportRun.Status.DONE)


def national_duplicates(root=None) -> str:
    """The reader's default policy for a repeated key: keep the first row, as the Open SDG platform does.

    The national platform's own files repeat 171 keys in 18 files (e.g. 17-3-1-3 gives Atyrau 2018 twice); the
    platform shows the first row, so every repository is imported the same way by default and every dropped row
    is reported as a warning with both lines and values. ``duplicates="error"`` (``--strict``, the web form's
    "strict" option) refuses such files instead. ``root`` is accepted for compatibility and ignored.
    """
    return "first"
