"""Gap figures for the pages, the maps and the downloads.

This package reads the database, hands plain DataFrames to the pure core (``geo.core``) and keeps the source of
every figure. Conventions:

* **Missing stays missing.** A region without a value has no row (or NaN) and the pages say "no data"; nothing is
  ever filled with 0.
* **Every figure keeps its source** (``source`` strings; derived figures combine the sources of their inputs).
* **Status** tells where a value comes from: ``official`` (national SDG platform), ``verified``/``unverified``
  (entered by an akimat), ``published`` (a figure stated in the Voluntary National Review 2025, with its line),
  ``crosswalk`` (estimated for the 2024 regions from pre-2022 regions, see :func:`crosswalk_shares`) or
  ``computed`` (RSS provision computed from the observations officers entered). Estimates are never shown as
  official values.
* **Bounds.** A published "not exceeding 3.4 percent" is kept as an upper bound (``bound="le"``); derived figures
  carry the corresponding inequality and the pages print it (≤, ≥).

Where things live (each module imports only the ones above it):

* ``common`` — heavy libraries imported on first use, codes, fixed sources, status and projection labels;
* ``formatting`` — source strings (clean, split, translate) and numbers in the page language;
* ``measures`` — the measures (:data:`MEASURES`, themes, index components) and :class:`Cell`;
* ``jobs`` — background jobs with progress through :mod:`jobs.runner` (queue, run here, failure, stale jobs);
* ``boundaries`` — boundaries as GeoDataFrames and the 2018 → 2024 crosswalk shares;
* ``series`` — regional series of one indicator (crosswalk estimates for the reformed regions);
* ``figures`` — published figures (VNR, CF): merged into the series, loaded from ``fixtures/seed-facts``; the
  demo's example RSS catalogue;
* ``targets`` — the target of every region and of the country per theme;
* ``themes`` — theme tables (poverty, gasification, RSS), their cache and recomputation job, priority settlements;
* ``cells`` — per-region and national cells for one year, the composite index, ranks, years;
* ``layers`` — map layers and the CSV downloads;
* ``settlements`` — the settlement registry import (a job), locating a settlement, the OSM demo import.

``from geo import services`` keeps working: the public names are re-exported here. Jobs are queued under the
dotted path of their function's module (``geo.services.settlements.import_settlements``); the old paths
(``geo.services.import_settlements``) resolve too.
"""
from localization.models import current_lang

from .boundaries import boundary_frame, crosswalk_shares, reform_regions
from .cells import YEAR_LATEST, default_year, national_cells, rankings, region_cells, years_available
from .common import (
    CROSSWALK_NOTE,
    FIXTURES,
    GAS_CODE,
    GAS_REFERENCE,
    OSM_SETTLEMENTS,
    OSM_SOURCE,
    PLATFORM,
    POPULATION_SOURCE,
    POVERTY_CODE,
    PROJECTION_LABELS,
    RATE_UNITS,
    RSS_REFERENCE,
    SEED_DOCUMENTS,
    STATUS_LABELS,
)
from .figures import (
    EXAMPLE_SOURCE,
    EXAMPLE_STANDARDS,
    QUALIFIERS,
    SCOPES,
    SEED_KEYS,
    load_example_catalogue,
    load_published_figures,
)
from .formatting import BOUND_SYMBOLS, clean_source, fmt_number, localize_source, number, split_sources
from .jobs import expire_stale, run_job, run_job_here
from .layers import (
    CSV_COLUMNS,
    LayerData,
    LayerRow,
    district_layer_available,
    layer_choices,
    layer_csv_rows,
    layer_data,
    overview_csv_rows,
)
from .measures import GAP_MEASURES, INDEX_COMPONENTS, MEASURES, MISSING, THEMES, Cell, Measure
from .series import (
    SERIES_COLUMNS,
    Series,
    estimate_kind,
    indicator_series,
    indicators_with_regional_data,
    value_source,
)
from .settlements import (
    CHUNK,
    COLUMN_ALIASES,
    REPORT_LIMIT,
    TYPE_SYNONYMS,
    UPDATED_FIELDS,
    ImportFileError,
    import_settlements,
    load_osm_settlements,
    locate,
    read_registry,
    start_settlement_import,
)
from .targets import TargetInfo, region_population, resolve_targets
from .themes import (
    ThemeTable,
    data_version,
    gasification_table,
    poverty_table,
    priority_all,
    priority_list,
    recompute,
    rss_catalogue_frame,
    rss_computed,
    rss_table,
    settlements_frame,
    start_recomputation,
    theme_tables,
)

__all__ = [
    "current_lang", "boundary_frame", "crosswalk_shares", "reform_regions", "YEAR_LATEST", "default_year",
    "national_cells", "rankings", "region_cells", "years_available", "CROSSWALK_NOTE", "FIXTURES", "GAS_CODE",
    "GAS_REFERENCE", "OSM_SETTLEMENTS", "OSM_SOURCE", "PLATFORM", "POPULATION_SOURCE", "POVERTY_CODE",
    "PROJECTION_LABELS", "RATE_UNITS", "RSS_REFERENCE", "SEED_DOCUMENTS", "STATUS_LABELS", "EXAMPLE_SOURCE",
    "EXAMPLE_STANDARDS", "QUALIFIERS", "SCOPES", "SEED_KEYS", "load_example_catalogue", "load_published_figures",
    "BOUND_SYMBOLS", "clean_source", "fmt_number", "localize_source", "number", "split_sources", "expire_stale",
    "run_job", "run_job_here", "CSV_COLUMNS", "LayerData", "LayerRow", "district_layer_available",
    "layer_choices", "layer_csv_rows", "layer_data", "overview_csv_rows", "GAP_MEASURES", "INDEX_COMPONENTS",
    "MEASURES", "MISSING", "THEMES", "Cell", "Measure", "SERIES_COLUMNS", "Series", "estimate_kind",
    "indicator_series", "indicators_with_regional_data", "value_source", "CHUNK", "COLUMN_ALIASES",
    "REPORT_LIMIT", "TYPE_SYNONYMS", "UPDATED_FIELDS", "ImportFileError", "import_settlements",
    "load_osm_settlements", "locate", "read_registry", "start_settlement_import", "TargetInfo",
    "region_population", "resolve_targets", "ThemeTable", "data_version", "gasification_table", "poverty_table",
    "priority_all", "priority_list", "recompute", "rss_catalogue_frame", "rss_computed", "rss_table",
    "settlements_frame", "start_recomputation", "theme_tables",
]
