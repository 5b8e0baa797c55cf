"""Load the reference data (territory and SDG framework) from ``fixtures/``.

Every loader is idempotent: rows are keyed by their code and updated in place, so running it twice changes
nothing. Nothing here reads outside the project's ``fixtures/`` folder.
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

from .models import District, FormerRegion, GlobalIndicator, Goal, Region, Target

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
POPULATION_DATE = date(2023, 1, 1)
POPULATION_SOURCE = "BNS, population of the Republic of Kazakhstan on 1 January 2023"

KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
RUSSIAN_FUNCTION_WORDS = {"и", "в", "от", "до", "по", "лет", "для", "на", "с", "доля", "число", "возрасте"}


def looks_russian(text: str) -> bool:
    """True when a supposedly Kazakh text is Russian: no Kazakh-specific letter and several Russian function words."""
    if any(ch in KAZAKH_LETTERS for ch in text):
        return False
    words = set(re.findall(r"[а-яё]+", text.lower()))
    return len(words & RUSSIAN_FUNCTION_WORDS) >= 2


def read_csv(name: str) -> list[dict[str, str]]:
    with open(FIXTURES / name, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def read_yaml(path: Path) -> dict:
    with open(path, encoding="utf-8-sig") as fh:
        return yaml.safe_load(fh) or {}


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # refused rows and kept choices, with file:line

    def count(self, label: str, created: bool, changed: bool = True) -> None:
        bucket = self.created if created else self.updated
        if created or changed:
            bucket[label] = bucket.get(label, 0) + 1

    def lines(self) -> list[str]:
        labels = sorted(set(self.created) | set(self.updated))
        return [f"{label}: {self.created.get(label, 0)} created, {self.updated.get(label, 0)} updated"
                for label in labels] + list(self.notes)


def upsert(model, report: LoadReport, label: str, lookup: dict, values: dict):
    """Create or update one row; only writes when something differs (so a second load writes nothing)."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model.objects.create(**lookup, **values)
        report.count(label, created=True)
        return obj
    changed = [key for key, value in values.items() if getattr(obj, key) != value]
    if changed:
        for key in changed:
            setattr(obj, key, values[key])
        obj.save(update_fields=changed)
        report.count(label, created=False)
    return obj


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value not in (None, "") else None


def load_territory(report: LoadReport) -> None:
    crosswalk = {row["KATO"]: row for row in read_csv("kz_regions_crosswalk.csv")}
    population = {row["KATO"]: row for row in read_csv("population/kz_population_regions_2023-01-01.csv")}
    for row in read_csv("regions.csv"):
        cw = crosswalk[row["kato"]]
        pop = population.get(row["kato"])
        upsert(
            Region,
            report,
            "regions",
            {"kato": row["kato"]},
            {
                "iso_code": cw["ISO_3166_2"],
                "ref_area": cw["kazstat_REF_AREA"],
                "pcode": cw["ADM1_PCODE"],
                "kind": row["kind"],
                "name_kk": row["name_kk"],
                "name_ru": row["name_ru"],
                "name_en": row["name_en"],
                "population_total": _int_or_none(pop and pop["total"]),
                "population_urban": _int_or_none(pop and pop["urban_total"]),
                "population_rural": _int_or_none(pop and pop["rural_total"]),
                "population_date": POPULATION_DATE if pop else None,
                "population_source": POPULATION_SOURCE if pop else "",
            },
        )
    regions = {r.kato[:2]: r for r in Region.objects.all()}

    former_pcodes = {}
    with open(FIXTURES / "boundaries" / "kz_adm1_2018.geojson", encoding="utf-8") as fh:
        for feature in json.load(fh)["features"]:
            former_pcodes[feature["properties"]["KATO"]] = feature["properties"]["ADM1_PCODE"]
    for row in read_csv("former_regions.csv"):
        upsert(
            FormerRegion,
            report,
            "former regions",
            {"kato": row["kato"]},
            {"pcode": former_pcodes[row["kato"]], "name_kk": row["name_kk"], "name_ru": row["name_ru"], "name_en": row["name_en"]},
        )
    former = {f.kato: f for f in FormerRegion.objects.all()}
    lineage: dict[str, set[str]] = {}
    for row in read_csv("region_lineage.csv"):
        lineage.setdefault(row["region_kato"], set()).add(row["former_region_kato"])
    for region in Region.objects.prefetch_related("predecessors"):
        wanted = {former[k].pk for k in lineage.get(region.kato, ())}
        if {p.pk for p in region.predecessors.all()} != wanted:
            region.predecessors.set(wanted)
            report.count("region lineage", created=False)

    fixes = {(row["kato"], row["field"]): row["right"] for row in read_csv("district_name_fixes.csv")}
    district_pop = {row["ADM2_KATO"]: row for row in read_csv("population/kz_population_districts_2023-01-01.csv") if row["ADM2_KATO"]}
    with open(FIXTURES / "boundaries" / "kz_adm2_2024.geojson", encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    for feature in features:
        p = feature["properties"]
        kato = p["KATO"]
        pop = district_pop.get(kato)
        names = {
            "name_kk": fixes.get((kato, "name_kk"), p["ADM2_KK"]),
            "name_ru": fixes.get((kato, "name_ru"), p["ADM2_RU"]),
            "name_en": fixes.get((kato, "name_en"), p["ADM2_EN"]),
        }
        upsert(
            District,
            report,
            "districts",
            {"kato": kato},
            {
                "pcode": p["ADM2_PCODE"],
                "region": regions[kato[:2]],
                **names,
                "population_total": _int_or_none(pop and pop["total"]),
                "population_urban": _int_or_none(pop and pop["urban_total"]),
                "population_rural": _int_or_none(pop and pop["rural_total"]),
                "population_date": POPULATION_DATE if pop else None,
            },
        )


def _sort_key(code: str) -> str:
    """'1.2' -> '01.02', '17.a' -> '17.za' so that numbered targets come before lettered ones."""
    parts = []
    for part in code.split("."):
        parts.append(f"{int(part):02d}" if part.isdigit() else f"z{part}")
    return ".".join(parts)


def load_sdg_framework(report: LoadReport) -> None:
    base = FIXTURES / "sdg-translations"
    langs = ("kk", "ru", "en")
    goals = {lang: read_yaml(base / lang / "global_goals.yml") for lang in langs}
    targets = {lang: read_yaml(base / lang / "global_targets.yml") for lang in langs}
    indicators = {lang: read_yaml(base / lang / "global_indicators.yml") for lang in langs}

    def text(mapping: dict, key: str) -> str:
        return " ".join(str(mapping.get(key) or "").split())

    goal_objs = {}
    for number in range(1, 18):
        values = {}
        for lang in langs:
            values[f"short_{lang}"] = text(goals[lang], f"{number}-short")
            values[f"title_{lang}"] = text(goals[lang], f"{number}-title")
        goal_objs[number] = upsert(Goal, report, "goals", {"number": number}, values)

    target_objs = {}
    for key in targets["en"]:
        match = re.fullmatch(r"(\d+)-([0-9a-z]+)-title", key)
        if not match:
            continue
        code = f"{match.group(1)}.{match.group(2)}"
        values = {"goal": goal_objs[int(match.group(1))], "sort_key": _sort_key(code)}
        for lang in langs:
            values[f"title_{lang}"] = text(targets[lang], key)
        target_objs[code] = upsert(Target, report, "targets", {"code": code}, values)

    # One indicator per distinct English title: repeats such as 1.5.1 = 11.5.1 = 13.1.1 are one indicator
    # listed under several targets; the lowest code is kept as its code.
    by_title: dict[str, list[str]] = {}
    for key in indicators["en"]:
        match = re.fullmatch(r"(\d+)-([0-9a-z]+)-([0-9a-z]+)-title", key)
        if not match:
            continue
        by_title.setdefault(text(indicators["en"], key), []).append(key)
    for title_en, keys in by_title.items():
        codes = sorted((k[: -len("-title")].replace("-", ".") for k in keys), key=_sort_key)
        code = codes[0]
        key = code.replace(".", "-") + "-title"
        values = {"sort_key": _sort_key(code), "title_en": title_en, "untranslated": []}
        for lang in ("kk", "ru"):
            value = text(indicators[lang], key)
            if not value or (lang == "kk" and looks_russian(value)):
                values["untranslated"].append(lang)
                value = ""
            values[f"title_{lang}"] = value
        indicator = upsert(GlobalIndicator, report, "indicators", {"code": code}, values)
        wanted = {target_objs[".".join(c.split(".")[:2])].pk for c in codes}
        if set(indicator.targets.values_list("pk", flat=True)) != wanted:
            indicator.targets.set(wanted)
            report.count("indicator-target links", created=False)


@transaction.atomic
def load_all() -> LoadReport:
    report = LoadReport()
    load_territory(report)
    load_sdg_framework(report)
    from .services.provenance import load_provenance

    load_provenance(report)
    return report


@dataclass(frozen=True)
class PublishedCount:
    """A count of the approved national list as a source document states it (not derived from the site's data)."""

    value: int
    year: int | None
    source_file: str
    source_line: int
    quote: str


@lru_cache(maxsize=1)
def approved_list_composition() -> dict[str, PublishedCount]:
    """``total``, ``current``, ``monitoring``, ``localized``: the composition of the approved national SDG list
    (2024) as the VNR 2025 states it (``fixtures/seed-facts/national_series.csv``), each with file, line and quote.
    Shown beside the site's own counts where the platform does not say which indicator is which."""
    out = {}
    with open(FIXTURES / "seed-facts" / "national_series.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            key = row["indicator_key"].removeprefix("national_sdg_indicators_")
            if row["indicator_key"].startswith("national_sdg_indicators_") and row["qualifier"] == "eq":
                out[key] = PublishedCount(int(float(row["value"])), int(row["year"]) if row["year"] else None,
                                          row["seed_file"], int(row["line"]), row["quote"])
    return out
