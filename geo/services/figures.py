"""Published figures (VNR, CF): read from :class:`~geo.models.GapFigure` and merged into the series; loaded from
``fixtures/seed-facts`` with the demo's example RSS catalogue."""
from __future__ import annotations

import re

from localization.models import Region

from ..models import GapFigure, RssStandard
from .common import FIXTURES, SEED_DOCUMENTS, pd
from .formatting import clean_source, number


# ---------------------------------------------------------------------------------------------------------------
# published figures (VNR)


def _figures(kind: str, measure: str = GapFigure.Measure.RATE) -> pd.DataFrame:
    rows = []
    for f in GapFigure.objects.filter(kind=kind, measure=measure).select_related("region"):
        rows.append({
            "region": f.region.kato if f.region_id else None,
            "scope": f.scope,
            "year": f.year,
            "period": f.period,
            "value": f.value,
            "bound": {"le": "le", "approx": "approx", "gt": "gt"}.get(f.qualifier, ""),
            "status": "published",
            "source": clean_source(f.source_text),
            "note": "",
            "target_year": f.target_year,
        })
    return pd.DataFrame(rows, columns=["region", "scope", "year", "period", "value", "bound", "status", "source",
                                       "note", "target_year"])


def _merge_published(frame: pd.DataFrame, figures: pd.DataFrame, value_name: str = "value") -> pd.DataFrame:
    """Add published regional figures for region-years without a value; note them where a value exists.

    A published figure never overwrites an official value: if both exist and differ, the official value stays and
    its note says what the document states.
    """
    figures = figures[(figures["scope"] == "total") & figures["region"].notna()]
    if figures.empty:
        return frame
    frame = frame.copy()
    add = []
    for f in figures.itertuples():
        hit = frame.index[(frame["region"] == f.region) & (frame["year"] == f.year)] if f.year else []
        if len(hit):
            i = hit[0]
            if number(frame.at[i, value_name]) is not None and abs(frame.at[i, value_name] - f.value) > 1e-9:
                note = frame.at[i, "note"] or ""
                frame.at[i, "note"] = (note + " " if note else "") + f"VNR: {f.value:g} ({f.source})"
            continue
        add.append({"region": f.region, "year": f.year, value_name: f.value, "bound": f.bound, "status": "published",
                    "source": f.source, "note": "", "period": f.period or ""})
    if add:
        frame = _append(frame, add)
    return frame


def _append(frame: pd.DataFrame, rows: list[dict]) -> pd.DataFrame:
    new = pd.DataFrame(rows)
    if frame.empty:
        return new.reindex(columns=list(dict.fromkeys([*frame.columns, *new.columns])))
    return pd.concat([frame, new], ignore_index=True)


def _merge_national(national: pd.DataFrame, figures: pd.DataFrame) -> pd.DataFrame:
    figures = figures[(figures["scope"] == "total") & figures["region"].isna() & figures["year"].notna()]
    national = national.copy()
    add = []
    for f in figures.itertuples():
        hit = national.index[national["year"] == f.year]
        if len(hit):
            i = hit[0]
            if abs(national.at[i, "value"] - f.value) > 1e-9:
                national.at[i, "note"] = (national.at[i, "note"] + " " if national.at[i, "note"] else "") + \
                    f"{f.value:g} ({f.source})"
            continue
        if f.year in {a["year"] for a in add}:
            continue
        add.append({"year": int(f.year), "value": f.value, "status": "published", "source": f.source, "note": "",
                    "bound": f.bound, "period": ""})
    if add:
        national = _append(national, add)
    return national.sort_values("year").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------------------------
# demo data: published figures, example RSS catalogue


SEED_KEYS = {
    "poverty_rate_subsistence": ("poverty", GapFigure.Measure.RATE),
    "gasification_rate": ("gasification", GapFigure.Measure.RATE),
    "rss_provision_rate": ("rss", GapFigure.Measure.RATE),
    "gasification_avg_annual_growth": ("gasification", GapFigure.Measure.PACE),
}
SCOPES = {"Kazakhstan": "total", "Kazakhstan (urban)": "urban", "Kazakhstan (rural)": "rural",
          "KZ": "total", "KZ-urban": "urban", "KZ-rural": "rural"}
QUALIFIERS = {"eq": "eq", "approx": "approx", "le": "le", "gt": "gt", "eq_text": "eq"}


def load_published_figures() -> dict[str, int]:
    """Load the poverty, gasification and RSS figures of ``fixtures/seed-facts`` (idempotent).

    Rows with a range or an unparseable value are skipped (they are not values); every stored figure keeps the
    document, file, line and the exact quote.
    """
    counts = {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0}
    regions = {r.iso_code: r for r in Region.objects.all()}
    rows = []
    seen: set = set()
    regional = pd.read_csv(FIXTURES / "seed-facts" / "regional_figures.csv", dtype=str, keep_default_na=False)
    for r in regional.to_dict("records"):
        rows.append(dict(r, kind_key=r["indicator_key"], scope_key=r["region_code"], measure_kind="observation"))
    national = pd.read_csv(FIXTURES / "seed-facts" / "national_series.csv", dtype=str, keep_default_na=False)
    for r in national.to_dict("records"):
        rows.append(dict(r, kind_key=r["indicator_key"], scope_key=r["scope"], measure_kind=r["kind"], iso_3166_2="KZ"))
    for r in rows:
        if r["kind_key"] not in SEED_KEYS:
            continue
        kind, measure = SEED_KEYS[r["kind_key"]]
        if r["measure_kind"] == "target":
            measure, raw_value = GapFigure.Measure.TARGET, r.get("target_value", "")
        elif r["measure_kind"] != "observation":
            counts["skipped"] += 1
            continue
        else:
            raw_value = r["value"]
        qualifier = QUALIFIERS.get(r["qualifier"])
        try:
            value = float(raw_value)
        except ValueError:
            qualifier = None
        if qualifier is None:
            counts["skipped"] += 1
            continue
        scope = SCOPES.get(r["scope_key"])
        region = None
        if scope is None:
            region = regions.get(r.get("iso_3166_2", ""))
            if region is None:
                counts["skipped"] += 1
                continue
            scope = "total"
        year_text = r.get("year", "")
        year = int(year_text) if year_text.isdigit() else None
        target_year = r.get("target_year", "")
        key = {"kind": kind, "measure": measure, "region": region, "scope": scope, "year": year,
               "seed_file": r["seed_file"], "seed_line": int(r["line"])}
        values = {"period": year_text if not year else "", "value": value, "qualifier": qualifier,
                  "unit": r["unit"][:120], "target_year": int(target_year) if target_year.isdigit() else None,
                  "document": SEED_DOCUMENTS.get(r["seed_file"], r["seed_file"]), "quote": r["quote"],
                  "note": r.get("note", "")}
        if not values["period"] and not year:
            found = re.search(r"context is (\d{4})-(\d{4})", values["note"])
            values["period"] = f"{found.group(1)}\u2013{found.group(2)}" if found else ""
        natural = tuple(key.values())
        if natural in seen:  # the same line quoted in both files: the first row (regional_figures.csv) wins
            continue
        seen.add(natural)
        existing = GapFigure.objects.filter(**key).first()
        if existing is None:
            GapFigure.objects.create(**key, **values)
            counts["created"] += 1
        elif any(getattr(existing, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(existing, k, v)
            existing.save()
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    return counts


EXAMPLE_SOURCE = ("EXAMPLE for the demo only: the official RSS list of standards is not in the seed documents; "
                  "never used in a provision figure")
EXAMPLE_STANDARDS = [
    ("EX-01", "Жаяу жүру қашықтығындағы мектеп", "Школа в пешей доступности", "School within walking distance",
     ["city", "town", "village"]),
    ("EX-02", "Медициналық пункт немесе емхана", "Медицинский пункт или поликлиника", "Medical post or clinic",
     ["city", "town", "village", "hamlet"]),
    ("EX-03", "Орталықтандырылған ауыз су", "Централизованное питьевое водоснабжение", "Centralised drinking water",
     ["city", "town", "village", "hamlet"]),
    ("EX-04", "Аудан орталығына дейін қатты жабынды жол", "Дорога с твёрдым покрытием до районного центра",
     "Paved road to the district centre", ["town", "village", "hamlet"]),
    ("EX-05", "Кең жолақты интернет", "Широкополосный интернет", "Broadband internet",
     ["city", "town", "village", "hamlet"]),
    ("EX-06", "Мәдениет үйі немесе кітапхана", "Дом культуры или библиотека", "House of culture or library",
     ["city", "town", "village"]),
    ("EX-07", "Спорт алаңы", "Спортивная площадка", "Sports ground", ["city", "town", "village"]),
    ("EX-08", "Қоғамдық көлік аялдамасы", "Остановка общественного транспорта", "Public transport stop",
     ["city", "town", "village"]),
]


def load_example_catalogue() -> int:
    n = 0
    for code, kk, ru, en, types in EXAMPLE_STANDARDS:
        obj, made = RssStandard.objects.get_or_create(
            code=code, defaults={"name_kk": kk, "name_ru": ru, "name_en": en, "settlement_types": types,
                                 "is_example": True, "source": EXAMPLE_SOURCE})
        n += int(made)
    return n
