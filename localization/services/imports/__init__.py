"""Import Open SDG data (``data/indicator_<id>.csv``, ``meta/``, ``translations/``) into the database.

Reading and validating is :mod:`localization.core.opensdg`'s job; this module writes what it returns.

* **Atomic per file.** A file the reader rejected contributes nothing (not even its indicator row). Files are
  written in groups, one transaction per group; if the database refuses anything in a group, the group is
  rolled back and written again one file per transaction, so a failing file changes nothing and the others
  still go in. Every bad row is reported as ``file:line: reason`` in :attr:`ImportRun.errors`.
* **Idempotent.** A row whose key (indicator, year, area code, unit, series, dims) already exists with the same
  value, region, territory, status and source is not touched. A changed row is updated and simple_history keeps
  its previous state (who, when, why). An import never deletes rows.
* **Fast.** Rows are written with multi-row SQL statements (no model instance per row); their history rows
  are copied from the table with ``INSERT … SELECT`` in the same transaction, with the fields simple_history
  itself would write.

Where things live:

* :mod:`.common` -- the national repository's path, the lazy reader, ``BATCH``, :func:`clip_reason`,
  :class:`References`, :class:`FileRejected`, :class:`FileOutcome`.
* :mod:`.codes` -- the REF_AREA code table, sort keys, ``dims`` keys; :mod:`.reporting` -- localized row messages.
* :mod:`.indicators` -- the indicator rows from meta and translations; :mod:`.writing` -- fast value writes with
  history (:func:`write_rows` is also the upload's writer).
* :mod:`.repository` -- :func:`import_repository`; :mod:`.hashes` -- skipping unchanged files; :mod:`.labels` --
  learned disaggregation labels.
* :mod:`.archives` -- uploaded zip archives; :mod:`.jobs` -- the import as a queued job (``import_job``).
"""
from __future__ import annotations

from .archives import MAX_ARCHIVE_BYTES, MAX_ARCHIVE_FILES, ArchiveError, extract_archive, upload_dir
from .codes import code_table, dims_key, parse_dims, sort_key
from .common import (
    BATCH,
    NATIONAL_REPOSITORY,
    NATIONAL_SOURCE,
    REASON_MAX,
    FileOutcome,
    FileRejected,
    References,
    clip_reason,
    opensdg,
)
from .hashes import known_files
from .indicators import IndicatorPlan, apply_indicators, plan_indicator
from .jobs import import_failed, import_job, run_import_here, start_import
from .labels import learn_columns
from .reporting import localize_error, run_warnings
from .repository import GROUP_ROWS, import_repository, national_duplicates
from .writing import (
    COMPARED,
    MAX_LENGTH,
    VALUE_COLUMNS,
    Plan,
    Rows,
    RowSpec,
    ValueWriter,
    apply_plans,
    plan_rows,
    write_rows,
)

__all__ = [
    "MAX_ARCHIVE_BYTES", "MAX_ARCHIVE_FILES", "ArchiveError", "extract_archive", "upload_dir",
    "code_table", "dims_key", "parse_dims", "sort_key",
    "BATCH", "NATIONAL_REPOSITORY", "NATIONAL_SOURCE", "REASON_MAX", "FileOutcome", "FileRejected", "References",
    "clip_reason", "opensdg",
    "known_files", "IndicatorPlan", "apply_indicators", "plan_indicator",
    "import_failed", "import_job", "run_import_here", "start_import",
    "learn_columns", "localize_error", "run_warnings", "GROUP_ROWS", "import_repository", "national_duplicates",
    "COMPARED", "MAX_LENGTH", "VALUE_COLUMNS", "Plan", "Rows", "RowSpec", "ValueWriter", "apply_plans", "plan_rows",
    "write_rows",
]
