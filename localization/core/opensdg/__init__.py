"""Read, validate and write Open SDG data repositories (pure Python: pandas, numpy, PyYAML; no Django).

An Open SDG data repository (the format of Kazakhstan's national SDG platform, a copy of which is in
``fixtures/kazstat-sdg-data/``) holds

* ``data/indicator_<id>.csv`` -- tidy data: ``Year``, optional disaggregation columns, ``Value``;
  an empty disaggregation cell means "total";
* ``meta/<id>.yml`` and ``indicator-config/<id>.yml`` -- per-indicator metadata and display config;
* ``translations/<lang>/<group>.yml`` -- ``key: text`` maps; a metadata value such as
  ``national_indicators.1-2-1-title`` or a data code such as ``UNIT_MEASURE.PT`` is a translation key.

Entry points: :func:`read_repository`, :func:`read_indicator_csv`, :func:`load_code_table` and
:func:`write_indicator_csv`.  Validation is all-or-nothing per file: a file with any error contributes
no rows, and every bad row is reported as ``file:line: reason`` (``line`` is the 1-based physical line,
the header being line 1).  Repairs and tolerated oddities are reported as warnings in the same form.

The whole repository is validated in one vectorised pass over all rows of all files (numpy/pandas);
Python loops run per file, or per row only for rows that need an error/warning message.

Where things live (each module imports only the ones above it):

* ``common``     -- constants (columns, levels, territory splits, years), :class:`RowError`, :class:`IndicatorFile`,
  small helpers (indicator id of a path, numbers in text);
* ``codes``      -- :class:`CodeTable` (region codes, aliases, crosswalk, region names), :func:`load_code_table`;
* ``csvread``    -- one CSV file's structure: header, stripped cells, ragged rows, layout;
* ``validate``   -- the vectorised validation, region columns of other code systems,
  :func:`read_indicator_csv` / :func:`read_indicator_text`;
* ``metadata``   -- ``meta/`` (yml, md front matter, xlsx, csv), ``indicator-config/``, ``translations/``;
* ``layout``     -- which files to read: ``config_data.yml`` inputs or the standard folders (:func:`find_inputs`);
* ``write``      -- :func:`write_indicator_csv`, :func:`write_like_source`, :func:`format_values`;
* ``sdmxml``     -- SDMX-ML data messages to CSV texts (sdmx1, imported on first use);
* ``repository`` -- :class:`Repository` and :func:`read_repository` (content hashes skip unchanged files).
"""

# Every public name of the former single module is importable from here (``__all__`` is unchanged).
from .codes import CodeTable, load_code_table
from .common import (
    ABOLISHED_AFTER,
    BASE_COLUMNS,
    DEFAULT_CODE_TABLE,
    DEFAULT_CROSSWALK,
    DUPLICATE_POLICIES,
    GEO_COLUMNS,
    LANGUAGES,
    LEVELS,
    NATIONAL_COLUMNS,
    OPEN_SDG_COLUMNS,
    PROJECT_ROOT,
    SPLITS,
    TERRITORIES,
    UNIT_COLUMNS,
    YEAR_RANGE,
    IndicatorFile,
    RowError,
)
from .layout import CONFIG_FILE, DATA_INPUTS, META_INPUTS, Inputs, find_inputs
from .repository import Repository, Unchanged, read_repository, translations_digest
from .sdmxml import sdmx_to_csv
from .validate import GEO_NAME_HEADERS, read_indicator_csv, read_indicator_text
from .write import format_values, write_indicator_csv, write_like_source

__all__ = [
    "RowError",
    "CodeTable",
    "IndicatorFile",
    "Repository",
    "load_code_table",
    "read_indicator_csv",
    "read_indicator_text",
    "read_repository",
    "write_indicator_csv",
    "write_like_source",
    "format_values",
    "NATIONAL_COLUMNS",
]

