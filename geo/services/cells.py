"""Per-region and national cells for one year (or each region's latest year), the composite index and the ranks."""
from __future__ import annotations

import math

from localization.models import Region

from .common import POPULATION_SOURCE, RSS_REFERENCE, core, pd
from .formatting import number
from .measures import INDEX_COMPONENTS, MEASURES, MISSING, Cell
from .targets import region_population
from .themes import ThemeTable


# ---------------------------------------------------------------------------------------------------------------
# per-region cells for one year (or the latest year of each region)


YEAR_LATEST = "latest"


def _pick(df: pd.DataFrame, region: str, year) -> pd.Series | None:
    rows = df[df["region"] == region]
    if rows.empty:
        return None
    if year == YEAR_LATEST:
        years = pd.to_numeric(rows["year"], errors="coerce")
        dated = rows[years.notna()]
        if len(dated):
            return dated.loc[pd.to_numeric(dated["year"]).idxmax()]
        return rows.iloc[0]
    rows = rows[pd.to_numeric(rows["year"], errors="coerce") == int(year)]
    return rows.iloc[0] if len(rows) else None


def _year_of(row) -> int | None:
    y = number(row.get("year"))
    return int(y) if y is not None else None


def _join(*sources) -> str:
    out = core.combine_sources([s for s in sources if isinstance(s, str) and s])
    return out if isinstance(out, str) else ""


def region_cells(tables: dict[str, ThemeTable], year=YEAR_LATEST) -> dict[str, dict[str, Cell]]:
    """``{region KATO: {measure key: Cell}}`` for every region, one year (or each region's latest year)."""
    out: dict[str, dict[str, Cell]] = {}
    pov, gas, rss = tables["poverty"], tables["gasification"], tables["rss"]
    for kato in Region.objects.values_list("kato", flat=True):
        cells: dict[str, Cell] = {}
        row = _pick(pov.regional, kato, year)
        if row is not None:
            y, st, src, period = _year_of(row), row["status"], row["source"], row.get("period", "") or ""
            note = row.get("note", "") or ""
            cells["poverty_rate"] = Cell(number(row["rate"]), y, st, src, row.get("bound", ""), note, period)
            cells["poverty_target"] = Cell(number(row["target"]), None, _target_status(row), row["target_source"])
            cells["poverty_gap_pp"] = Cell(number(row["gap_pp"]), y, st, _join(src, row["target_source"]), period=period)
            cells["poverty_people_below"] = Cell(number(row["people_below"]), y, st, _join(src, POPULATION_SOURCE), period=period)
            cells["poverty_gap_people"] = Cell(number(row["gap_people"]), y, st,
                                               _join(src, row["target_source"], POPULATION_SOURCE), period=period)
        row = _pick(gas.regional, kato, year)
        if row is not None:
            y, st, src, b = _year_of(row), row["status"], row["source"], row.get("bound", "") or ""
            period = row.get("period", "") or ""
            inv = "ge" if b == "le" else ""
            cells["gas_share"] = Cell(number(row["share"]), y, st, src, b, row.get("note", "") or "", period)
            cells["gas_target"] = Cell(number(row["target"]), None, _target_status(row), row["target_source"])
            cells["gas_gap_pp"] = Cell(number(row["gap_pp"]), y, st, _join(src, row["target_source"]), inv, period=period)
            cells["gas_people_without"] = Cell(number(row["people_without_gas"]), y, st, _join(src, POPULATION_SOURCE), inv,
                                               period=period)
            pace = number(row["pace_pp_per_year"])
            cells["gas_pace"] = Cell(pace, y, "derived" if pace is not None else st, src, period=period)
            years = number(row["years_to_target"])
            cells["gas_years"] = Cell(years if years is not None and math.isfinite(years) else None, y, st,
                                      _join(src, row["target_source"]), period=period,
                                      label="" if years is not None and math.isfinite(years) and years > 0 else row["projection"])
        row = _pick(rss.regional, kato, year)
        if row is not None and number(row["provision"]) is not None:
            y, st, src = _year_of(row), row["status"], row["source"]
            cells["rss_provision"] = Cell(number(row["provision"]), y, st, src, row.get("bound", "") or "")
            cells["rss_gap"] = Cell(number(row["gap"]), y, st, _join(src, RSS_REFERENCE[1]))
            if number(row.get("computed_weighted")) is not None:
                cells["rss_weighted"] = Cell(number(row["computed_weighted"]), y, "computed", row["computed_source"])
        out[kato] = cells
    _add_index(out)
    return out


def _target_status(row) -> str:
    level = row.get("target_level", "") or ""
    return f"target_{level}" if level else ""


def _add_index(cells: dict[str, dict[str, Cell]]) -> None:
    df = pd.DataFrame({
        "region": list(cells),
        **{c: [cells[r].get(c, MISSING).value for r in cells] for c in INDEX_COMPONENTS},
        "source": [_join(*(cells[r].get(c, MISSING).source for c in INDEX_COMPONENTS)) for r in cells],
    })
    for c in INDEX_COMPONENTS:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    idx = core.composite_need_index(df, INDEX_COMPONENTS, higher_is_worse=True).set_index("region")
    for r in cells:
        value = number(idx.at[r, "need_index"])
        used = int(idx.at[r, "components_used"])
        years = sorted({cells[r][c].year for c in INDEX_COMPONENTS if c in cells[r] and cells[r][c].year})
        estimate = any(cells[r].get(c, MISSING).is_estimate for c in INDEX_COMPONENTS)
        cells[r]["need_index"] = Cell(value, max(years) if years else None, "crosswalk" if estimate else "derived",
                                      idx.at[r, "source"] if value is not None else "", count=used)
        for c in INDEX_COMPONENTS:
            norm = number(idx.at[r, f"norm_{c}"])
            cells[r][f"norm_{c}"] = Cell(norm, None, "derived")


def national_cells(tables: dict[str, ThemeTable], year=YEAR_LATEST) -> dict[str, Cell]:
    """The national figures (Kazakhstan) for the same measures, where a source states them."""
    cells: dict[str, Cell] = {}

    def pick(df):
        if df is None or df.empty:
            return None
        d = df[pd.to_numeric(df["year"], errors="coerce").notna()]
        if d.empty:
            return None
        years = pd.to_numeric(d["year"]).astype(int)
        if year == YEAR_LATEST:
            return d.loc[years.idxmax()]
        hit = d[years == int(year)]
        return hit.iloc[0] if len(hit) else None

    pov = tables["poverty"]
    row = pick(pov.national)
    if row is not None:
        y, st, src = _year_of(row), row["status"], row["source"]
        cells["poverty_rate"] = Cell(number(row["value"]), y, st, src, note=row.get("note", "") or "")
        t = pov.targets.get(None)
        if t is not None:
            cells["poverty_target"] = Cell(t.value, None, f"target_{t.level}", t.source)
            cells["poverty_gap_pp"] = Cell(number(row["value"]) - t.value, y, st, _join(src, t.source))
        pop = sum(region_population().values())
        if pop:
            cells["poverty_people_below"] = Cell(number(row["value"]) / 100 * pop, y, st, _join(src, POPULATION_SOURCE))
    gas = tables["gasification"]
    row = pick(gas.national)
    if row is not None:
        y, st, src = _year_of(row), row["status"], row["source"]
        cells["gas_share"] = Cell(number(row["value"]), y, st, src, note=row.get("note", "") or "")
        t = gas.targets.get(None)
        pace = number(row.get("pace"))
        if pace is not None:
            sources = _join(*gas.national["source"])
            cells["gas_pace"] = Cell(pace, y, "derived", sources)
        if t is not None:
            gap = t.value - number(row["value"])
            cells["gas_target"] = Cell(t.value, None, f"target_{t.level}", t.source)
            cells["gas_gap_pp"] = Cell(gap, y, st, _join(src, t.source))
            if pace and pace > 0 and gap > 0:
                cells["gas_years"] = Cell(gap / pace, y, "derived", _join(src, t.source))
        pop = sum(region_population().values())
        if pop:
            cells["gas_people_without"] = Cell((100 - number(row["value"])) / 100 * pop, y, st, _join(src, POPULATION_SOURCE))
    rss = tables["rss"]
    nat = rss.national[rss.national["scope"] == "total"] if len(rss.national) else rss.national
    row = pick(nat)
    if row is not None:
        y, src = _year_of(row), row["source"]
        cells["rss_provision"] = Cell(number(row["value"]), y, "published", src)
        cells["rss_gap"] = Cell(100 - number(row["value"]), y, "published", _join(src, RSS_REFERENCE[1]))
    return cells


def rankings(cells: dict[str, dict[str, Cell]]) -> dict[str, dict[str, int | None]]:
    """Rank of every region per gap and on the composite index (1 = greatest need); None without a value."""
    out: dict[str, dict[str, int | None]] = {r: {} for r in cells}
    for key in INDEX_COMPONENTS + ["need_index"]:
        df = pd.DataFrame({"region": list(cells), key: [cells[r].get(key, MISSING).value for r in cells], "source": "x"})
        df[key] = pd.to_numeric(df[key], errors="coerce").astype(float)
        ranked = core.rank_regions(df, key, higher_is_worse=True)
        for r, rank in zip(ranked["region"], ranked["rank"]):
            out[r][key] = None if rank is pd.NA else int(rank)
    return out


def years_available(tables: dict[str, ThemeTable], measure: str) -> list[int]:
    theme = MEASURES[measure].theme
    if theme == "index":
        years = set()
        for t in ("poverty", "gasification", "rss"):
            years |= set(pd.to_numeric(tables[t].regional["year"], errors="coerce").dropna().astype(int))
        return sorted(years)
    df = tables[theme].regional
    if df.empty:
        return []
    return sorted(set(pd.to_numeric(df["year"], errors="coerce").dropna().astype(int)))


def default_year(tables: dict[str, ThemeTable], measure: str):
    """The most recent year with the widest regional coverage (so a map compares one year), else "latest"."""
    theme = MEASURES[measure].theme
    if theme == "index":
        return YEAR_LATEST
    df = tables[theme].regional
    value_col = {"poverty": "rate", "gasification": "share", "rss": "provision"}[theme]
    years = pd.to_numeric(df["year"], errors="coerce")
    known = df[years.notna() & df[value_col].notna()]
    if known.empty:
        return YEAR_LATEST
    counts = known.groupby(pd.to_numeric(known["year"]).astype(int))["region"].nunique()
    undated = df[years.isna() & df[value_col].notna()]["region"].nunique()
    if undated > counts.max():
        return YEAR_LATEST
    best = counts[counts == counts.max()].index.max()
    return int(best)
