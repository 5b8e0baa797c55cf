"""Map layers (one measure or indicator per region or district) and the CSV downloads with their sources."""
from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.translation import gettext as _

from localization.models import District, Indicator, Region, current_lang

from .cells import YEAR_LATEST, _pick, _year_of, default_year, region_cells, years_available
from .formatting import clean_source, fmt_number, localize_source, number
from .measures import MEASURES, MISSING, Cell, Measure
from .series import indicator_series, indicators_with_regional_data
from .themes import theme_tables


# ---------------------------------------------------------------------------------------------------------------
# map layers


@dataclass
class LayerRow:
    kato: str
    name: str
    cell: Cell
    text: str


@dataclass
class LayerData:
    key: str
    label: str
    unit: str
    is_gap: bool
    higher_is_worse: bool | None
    decimals: int
    year: object
    years: list
    level: str  # region | district
    rows: list[LayerRow]
    theme: str = ""
    note: str = ""

    @property
    def values(self) -> list[float]:
        return [r.cell.value for r in self.rows if r.cell.value is not None and math.isfinite(r.cell.value)]


def layer_choices() -> list[tuple[str, str]]:
    choices = [(k, str(m.label)) for k, m in MEASURES.items() if m.map_layer]
    for ind in indicators_with_regional_data():
        choices.append((f"ind:{ind.code}", f"{ind.dotted} {ind.title}"))
    return choices


def layer_data(key: str, year=None, level: str = "region", lang: str | None = None) -> LayerData:
    """Values of one measure (or ``ind:<code>``) per region or district, ready for the map, CSV and GeoJSON."""
    lang = lang or current_lang()
    if key.startswith("ind:"):
        return _indicator_layer(key[4:], year, lang)
    measure = MEASURES[key]
    tables = theme_tables()
    years = years_available(tables, key)
    if year in (None, ""):
        year = default_year(tables, key)
    if year != YEAR_LATEST:
        year = int(year)
    if level == "district":
        return _district_layer(measure, tables, year, years, lang)
    cells = region_cells(tables, year)
    rows = []
    for region in Region.objects.all():
        cell = cells.get(region.kato, {}).get(key, MISSING)
        rows.append(LayerRow(region.kato, region.tr("name", lang), cell, cell.text(measure, lang)))
    return LayerData(key, str(measure.label), str(measure.unit), measure.is_gap, measure.higher_is_worse,
                     measure.decimals, year, years, "region", rows, measure.theme)


def _indicator_layer(code: str, year, lang: str) -> LayerData:
    indicator = Indicator.objects.filter(code=code).first()
    if indicator is None:
        raise KeyError(code)
    series = indicator_series(code)
    df = series.frame
    years = sorted(set(df["year"].astype(int))) if len(df) else []
    if year in (None, ""):
        year = years[-1] if years else YEAR_LATEST
        if len(df):
            counts = df.groupby("year")["region"].nunique()
            year = int(counts[counts == counts.max()].index.max())
    if year != YEAR_LATEST:
        year = int(year)
    higher = None if indicator.direction is None else indicator.direction == Indicator.Direction.LOWER
    measure = Measure(f"ind:{code}", "indicator", f"{indicator.dotted} {indicator.title}", indicator.unit_label,
                      higher_is_worse=higher)
    suspect = series.suspect if series.suspect is not None else df.iloc[0:0]
    rows = []
    for region in Region.objects.all():
        row = _pick(df, region.kato, year) if len(df) else None
        cell = MISSING if row is None else Cell(number(row["value"]), _year_of(row), row["status"], row["source"],
                                                note=row.get("note", "") or "")
        if row is None and len(suspect) and (bad := _pick(suspect, region.kato, year)) is not None:
            cell = suspect_cell(bad, measure, lang)  # shown as published, never coloured or counted
        rows.append(LayerRow(region.kato, region.tr("name", lang), cell, cell.text(measure, lang)))
    return LayerData(measure.key, measure.label, str(measure.unit), False, higher, 1, year, years, "region", rows,
                     "indicator")


def suspect_cell(row, measure: Measure, lang: str) -> Cell:
    """A value outside the indicator's bounds: its number "as published, suspect", with no value to colour or sum."""
    text = _("%(value)s (as published, suspect)") % {"value": fmt_number(float(row["value"]), measure.decimals, lang)}
    return Cell(None, _year_of(row), "suspect", row["source"], label=text)


def _district_layer(measure: Measure, tables, year, years, lang) -> LayerData:
    rows = []
    computed = tables["rss"].extra.get("computed", {})
    per = None
    if measure.theme == "rss" and computed:
        y = max(computed) if year == YEAR_LATEST else year
        if y in computed:
            per = computed[y].districts.set_index("district_kato")
    for d in District.objects.all():
        cell = MISSING
        if per is not None and d.kato in per.index:
            r = per.loc[d.kato]
            if measure.key == "rss_provision":
                value = number(r["provision_mean"])
            elif measure.key == "rss_gap":
                value = number(r["gap_mean"])
            else:
                value = number(r["provision_weighted"])
            if value is not None:
                cell = Cell(value, year if year != YEAR_LATEST else max(computed), "computed", clean_source(r["source"]))
        rows.append(LayerRow(d.kato, d.tr("name", lang), cell, cell.text(measure, lang)))
    note = "" if per is not None else _("District figures exist only for the RSS provision computed from entered observations.")
    return LayerData(measure.key, str(measure.label), str(measure.unit), measure.is_gap, measure.higher_is_worse,
                     measure.decimals, year, years, "district", rows, measure.theme, note)


def district_layer_available(key: str) -> bool:
    return key in ("rss_provision", "rss_gap", "rss_weighted")


# ---------------------------------------------------------------------------------------------------------------
# downloads: long tables with sources


CSV_COLUMNS = ["region_kato", "region", "measure", "label", "unit", "year", "value", "bound", "text", "status",
               "source", "note"]


def layer_csv_rows(data: LayerData) -> list[dict]:
    rows = []
    for r in data.rows:
        c = r.cell
        rows.append({"region_kato": r.kato, "region": r.name, "measure": data.key, "label": data.label,
                     "unit": data.unit, "year": c.year or ("" if c.missing else c.year_text), "value": "" if c.value is None else round(c.value, 6),
                     "bound": c.bound, "text": r.text, "status": str(c.status_label) if c.status else "",
                     "source": localize_source(c.source), "note": localize_source(c.note)})
    return rows


def overview_csv_rows(cells: dict[str, dict[str, Cell]], names: dict[str, str], lang: str) -> list[dict]:
    rows = []
    for kato, by_measure in cells.items():
        for key, measure in MEASURES.items():
            c = by_measure.get(key, MISSING)
            rows.append({"region_kato": kato, "region": names.get(kato, kato), "measure": key, "label": str(measure.label),
                         "unit": str(measure.unit), "year": c.year or ("" if c.missing else c.year_text),
                         "value": "" if c.value is None else round(c.value, 6), "bound": c.bound,
                         "text": c.text(measure, lang), "status": str(c.status_label) if c.status else "",
                         "source": localize_source(c.source), "note": localize_source(c.note)})
    return rows
