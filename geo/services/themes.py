"""Theme tables (poverty, gasification, RSS provision; all regions × years), cached per data version; their
recomputation as a job; the RSS priority settlements."""
from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Max, Sum
from django.utils.translation import gettext_noop

from localization.models import Indicator, IndicatorValue, Region, RegionalTarget

from ..models import GapFigure, Recomputation, RssObservation, RssStandard, Settlement
from .boundaries import _boundary_version, _crosswalk_key, crosswalk_shares
from .common import GAS_CODE, POVERTY_CODE, core, np, pd
from .figures import _figures, _merge_national, _merge_published
from .formatting import clean_source
from .jobs import _set, run_job
from .series import indicator_series
from .targets import region_population, resolve_targets


# ---------------------------------------------------------------------------------------------------------------
# theme tables (all regions × years)


@dataclass
class ThemeTable:
    theme: str
    regional: pd.DataFrame  # one row per region × year (year NaN = not stated)
    national: pd.DataFrame
    targets: dict
    other: pd.DataFrame = field(default_factory=lambda: pd.DataFrame())
    extra: dict = field(default_factory=dict)


def _with_targets(df: pd.DataFrame, targets: dict, population: dict) -> pd.DataFrame:
    df = df.copy()
    df["target"] = [targets[r].value if r in targets else np.nan for r in df["region"]]
    df["target_source"] = [targets[r].source if r in targets else "" for r in df["region"]]
    df["target_level"] = [targets[r].level if r in targets else "" for r in df["region"]]
    df["population"] = [population.get(r, np.nan) for r in df["region"]]
    return df


def poverty_table() -> ThemeTable:
    series = indicator_series(POVERTY_CODE)
    figures = _figures("poverty")
    frame = _merge_published(series.frame, figures)
    targets = resolve_targets("poverty")
    df = _with_targets(frame, targets, region_population())
    df = df.rename(columns={"value": "rate"})
    df["rate"] = df["rate"].astype(float)
    out = core.poverty_gaps(df) if len(df) else df
    national = _merge_national(series.national, figures)
    pop_total = sum(region_population().values()) or np.nan
    if len(national) and None in targets:
        national["target"] = targets[None].value
        national["gap_pp"] = national["value"] - national["target"]
        national["people_below"] = national["value"] / 100 * pop_total
    return ThemeTable("poverty", out, national, targets, other=series.other,
                      extra={"urban_rural": figures[figures["scope"] != "total"]})


def gasification_table() -> ThemeTable:
    series = indicator_series(GAS_CODE)
    figures = _figures("gasification")
    frame = _merge_published(series.frame, figures)
    targets = resolve_targets("gasification")
    df = _with_targets(frame, targets, region_population()).rename(columns={"value": "share"})
    df["share"] = df["share"].astype(float)
    df["year"] = pd.to_numeric(df["year"], errors="coerce")
    dated, undated = df[df["year"].notna()], df[df["year"].isna()]
    parts = [core.gasification_gaps(part) for part in (dated, undated) if len(part)]
    out = pd.concat(parts, ignore_index=True) if parts else df
    if len(out):
        bounded = out["bound"] == "le"
        out.loc[bounded, "years_to_target"] = np.nan
        out.loc[bounded, "projection"] = "insufficient data"
    national = _merge_national(series.national, figures)
    if len(national):
        national["year"] = national["year"].astype(int)
        nat = national.assign(region="KZ", share=national["value"], source=national["source"])
        if None in targets:
            nat["target"] = targets[None].value
        pace = core.annual_pace(nat, "share")
        national["pace"] = float(pace.iloc[0]) if len(pace) else np.nan
    stated_pace = _figures("gasification", GapFigure.Measure.PACE)
    return ThemeTable("gasification", out, national, targets, other=series.other, extra={"stated_pace": stated_pace})


def rss_catalogue_frame(include_examples: bool = False) -> pd.DataFrame:
    rows = []
    qs = RssStandard.objects.all() if include_examples else RssStandard.objects.filter(is_example=False)
    for s in qs:
        for t in s.settlement_types or []:
            rows.append({"standard_id": s.pk, "settlement_type": t})
    return pd.DataFrame(rows, columns=["standard_id", "settlement_type"])


def settlements_frame(region: str | None = None) -> pd.DataFrame:
    qs = Settlement.objects.filter(region__isnull=False)
    if region:
        qs = qs.filter(region__kato=region)
    rows = list(qs.values_list("pk", "type", "district__kato", "region__kato", "population", "source"))
    df = pd.DataFrame(rows, columns=["settlement_id", "settlement_type", "district_kato", "region_kato",
                                     "population", "source"])
    df["source"] = df["source"].map(clean_source)
    df["population"] = pd.to_numeric(df["population"], errors="coerce").astype(float)
    return df


def rss_computed(year: int | None = None, region: str | None = None) -> dict[int, core.RssProvision]:
    """RSS provision computed from entered observations of the official (non-example) standards, per year."""
    obs = RssObservation.objects.filter(standard__is_example=False, settlement__region__isnull=False)
    if region:
        obs = obs.filter(settlement__region__kato=region)
    if year:
        obs = obs.filter(year=year)
    rows = list(obs.values_list("settlement_id", "standard_id", "met", "year", "source"))
    if not rows:
        return {}
    df = pd.DataFrame(rows, columns=["settlement_id", "standard_id", "met", "year", "source"])
    df["source"] = df["source"].map(clean_source)
    catalogue = rss_catalogue_frame()
    if catalogue.empty:
        return {}
    settlements = settlements_frame(region)
    out = {}
    for y, part in df.groupby("year"):
        out[int(y)] = core.rss_provision(settlements, part.drop(columns="year"), catalogue)
    return out


def rss_table() -> ThemeTable:
    figures = _figures("rss")
    published = figures[(figures["scope"] == "total") & figures["region"].notna()]
    frame = published[["region", "year", "value", "bound", "status", "source", "note", "period"]].copy()
    frame = frame.rename(columns={"value": "provision"})
    computed = rss_computed()
    comp_rows = []
    for year, prov in computed.items():
        for r in prov.regions.itertuples():
            if r.settlements_assessed:
                comp_rows.append({"region": r.region_kato, "year": year, "computed_mean": r.provision_mean,
                                  "computed_weighted": r.provision_weighted, "assessed": r.settlements_assessed,
                                  "settlements": r.settlements, "computed_source": r.source})
    comp = pd.DataFrame(comp_rows, columns=["region", "year", "computed_mean", "computed_weighted", "assessed",
                                            "settlements", "computed_source"])
    comp["year"] = comp["year"].astype(float)
    frame["year"] = pd.to_numeric(frame["year"], errors="coerce")
    if len(comp):
        frame = frame.merge(comp, on=["region", "year"], how="outer")
    else:
        for c in comp.columns[2:]:
            frame[c] = np.nan
    # where nothing is published, the computed (official-method) mean is the region's value, labelled as such
    no_pub = frame["provision"].isna() & frame["computed_mean"].notna()
    frame.loc[no_pub, "provision"] = frame.loc[no_pub, "computed_mean"]
    frame.loc[no_pub, "status"] = "computed"
    frame.loc[no_pub, "source"] = frame.loc[no_pub, "computed_source"]
    for col in ("bound", "note", "period"):
        frame[col] = frame[col].fillna("")
    frame["provision"] = frame["provision"].astype(float)
    frame["gap"] = 100.0 - frame["provision"]
    national = figures[figures["region"].isna()].rename(columns={"value": "value"})
    targets = resolve_targets("rss")
    return ThemeTable("rss", frame.reset_index(drop=True), national.reset_index(drop=True), targets,
                      extra={"computed": computed})


# ---------------------------------------------------------------------------------------------------------------
# data version and caching

_LOCAL = threading.local()


def data_version() -> str:
    """A short hash that changes whenever an input of the gap tables changes (cache key)."""
    codes = [POVERTY_CODE, GAS_CODE]
    parts = [
        IndicatorValue.objects.filter(indicator__code__in=codes).aggregate(n=Count("id"), m=Max("updated_at")),
        RegionalTarget.objects.filter(indicator__code__in=codes).aggregate(n=Count("id"), m=Max("updated_at")),
        list(Indicator.objects.filter(code__in=codes).values_list("code", "target_value", "target_year")),
        GapFigure.objects.aggregate(n=Count("id"), m=Max("id"), s=Sum("value")),
        RssObservation.objects.aggregate(n=Count("id"), m=Max("updated_at")),
        list(RssStandard.objects.values_list("pk", "is_example", "settlement_types")),
        Settlement.objects.aggregate(n=Count("id"), m=Max("updated_at")),
        Region.objects.aggregate(p=Sum("population_total")),
        _boundary_version(),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def theme_tables(refresh: bool = False, progress=None) -> dict[str, ThemeTable]:
    """All theme tables, cached per data version (``refresh`` recomputes them)."""
    version = data_version()
    key = f"geo:themes:{version}"
    if not refresh:
        local = getattr(_LOCAL, "themes", None)
        if local and local[0] == version:
            return local[1]
        found = cache.get(key)
        if found is not None:
            _LOCAL.themes = (version, found)
            return found
    steps = [(gettext_noop("crosswalk 2018 → 2024"), lambda: crosswalk_shares()), (gettext_noop("poverty"), poverty_table),
             (gettext_noop("gasification"), gasification_table), (gettext_noop("RSS provision"), rss_table)]
    keys = ["crosswalk", "poverty", "gasification", "rss"]
    tables: dict[str, ThemeTable] = {}
    for i, ((label, fn), name) in enumerate(zip(steps, keys)):
        if progress:
            progress(i, len(steps), label)
        if name == "crosswalk":
            if refresh:
                cache.delete(_crosswalk_key())
            fn()
        else:
            tables[name] = fn()
    if progress:
        progress(len(steps), len(steps), "")
    cache.set(key, tables, 6 * 3600)
    _LOCAL.themes = (version, tables)
    return tables


# ---------------------------------------------------------------------------------------------------------------
# priority settlements


def priority_list(region_kato: str, n: int = 10) -> tuple[pd.DataFrame, int | None]:
    """The ``n`` settlements of a region with the largest RSS gap in the latest year with observations."""
    computed = rss_computed(region=region_kato)
    if not computed:
        return pd.DataFrame(), None
    year = max(computed)
    return core.priority_settlements(computed[year], n=n), year


def priority_all(n: int = 10) -> tuple[pd.DataFrame, int | None]:
    """The ``n`` priority settlements of every region (latest year with observations), in one computation."""
    computed = rss_computed()
    if not computed:
        return pd.DataFrame(), None
    year = max(computed)
    return core.priority_settlements(computed[year], n=n), year


# ---------------------------------------------------------------------------------------------------------------
# recomputation (a background job)


def recompute(job: Recomputation) -> None:
    def progress(done, total, step):
        _set(job, done=done, total=total, message=step)

    theme_tables(refresh=True, progress=progress)


def start_recomputation(user=None) -> Recomputation:
    job = Recomputation.objects.create(user=user, total=5)
    run_job(job, recompute)
    job.refresh_from_db()
    return job
