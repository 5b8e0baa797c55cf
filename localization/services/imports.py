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
"""
from __future__ import annotations

import copy
import gc
import logging
import re
import shutil
import zipfile
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from config.lazy import lazy
from jobs import runner

from ..reference import looks_russian
from ..models import (DisaggregationLabel, GlobalIndicator, Goal, ImportedFile, ImportRun, Indicator, IndicatorValue,
                      Region, Target)

log = logging.getLogger(__name__)

NATIONAL_REPOSITORY = Path(settings.BASE_DIR) / "fixtures" / "kazstat-sdg-data"
NATIONAL_SOURCE = "fixtures/kazstat-sdg-data"  # shown as the run's source: a path, the same in every language
opensdg = lazy("localization.core.opensdg")  # pandas is imported when an import or a download runs
#: Rows per multi-row INSERT (SQLite allows 32766 parameters per statement; 18 columns × 500 rows).
BATCH = 500
#: Rows per transaction (and so per progress step) of a repository import.
GROUP_ROWS = 10000
#: Longest history change reason simple_history stores.
REASON_MAX = 100
#: Field lengths checked before writing (PostgreSQL would refuse longer text, SQLite would store it).
MAX_LENGTH = {"area_code": 16, "unit": 40, "series": 80, "dims": 300}

# Which columns the import writes, in order. ``updated_at`` is set explicitly (no model ``save()`` runs).
VALUE_COLUMNS = [
    "indicator_id", "region_id", "area_code", "territory", "year", "unit", "series", "dims", "disaggregation",
    "value", "status", "source_file", "source_line", "source_note", "entered_by_id", "verified_by_id",
    "verified_at", "updated_at",
]
#: Columns compared to decide whether an existing row changed (the key columns are equal by construction).
COMPARED = ["value", "region_id", "territory", "status", "source_file", "source_line", "source_note"]


# ---------------------------------------------------------------------------------------------------------------
# helpers shared with values.py


_CODES: opensdg.CodeTable | None = None


def code_table() -> opensdg.CodeTable:
    """The REF_AREA/GeoCode table (``fixtures/ref_area_codes.csv``), read once per process."""
    global _CODES
    if _CODES is None:
        _CODES = opensdg.load_code_table(Path(settings.BASE_DIR) / opensdg.DEFAULT_CODE_TABLE)
    return _CODES


def sort_key(code: str) -> str:
    """``1-2-1`` → ``01.02.01``; ``17-a-1`` → ``17.za.01``; ``10-5-1-1`` → ``10.05.01.01``."""
    return ".".join(f"{int(p):02d}" if p.isdigit() else f"z{p}" for p in code.split("-"))


def parse_dims(dims: str) -> dict[str, str]:
    """``"SEX=F|URBANISATION=U"`` → ``{"SEX": "F", "URBANISATION": "U"}`` (the reader's canonical key)."""
    if not dims:
        return {}
    return dict(part.split("=", 1) for part in dims.split("|"))


def dims_key(mapping: dict[str, str]) -> str:
    """Inverse of :func:`parse_dims`: columns sorted, empty values left out (the reader's rule)."""
    return "|".join(f"{k}={v}" for k, v in sorted(mapping.items()) if v != "")


#: The reader's and this module's row messages (English, as stored in ImportRun.errors) → translatable templates.
_MESSAGES = [
    (r"unknown column (?P<x>.+)", gettext_noop("unknown column %(x)s")),
    (r"missing column (?P<x>.+)", gettext_noop("missing column %(x)s")),
    (r"column (?P<x>.+) appears twice", gettext_noop("column %(x)s appears twice")),
    (r"no header line", gettext_noop("no header line")),
    (r"not readable as CSV: (?P<x>.*)", gettext_noop("not readable as CSV: %(x)s")),
    (r"not UTF-8 text(: (?P<x>.*))?", gettext_noop("the file is not UTF-8 text")),
    (r"(?P<k>\d+) fields but the header has (?P<n>\d+)", gettext_noop("%(k)s fields but the header has %(n)s")),
    (r"value (?P<x>.+) in a column without a header", gettext_noop("value %(x)s in a column without a header")),
    (r"bad year (?P<x>.+)", gettext_noop("bad year %(x)s")),
    (r"empty Year", gettext_noop("the year is empty")),
    (r"non-numeric value (?P<x>.+)", gettext_noop("non-numeric value %(x)s")),
    (r"non-finite value (?P<x>.+)", gettext_noop("non-numeric value %(x)s")),
    (r"unknown region code (?P<x>.+) in (?P<c>REF_AREA|GeoCode)", gettext_noop("unknown region code %(x)s in %(c)s")),
    (r"duplicate key \((?P<x>.*)\) first seen on line (?P<n>\d+) \(line \d+: (?P<a>[^,]*), line (?P<m>\d+): "
     r"(?P<b>[^;]*); [a-z ]+\); this row dropped",
     gettext_noop("duplicate key (%(x)s): line %(n)s has %(a)s, line %(m)s has %(b)s; the first row is kept, this one left out")),
    (r"duplicate key \((?P<x>.*)\) first seen on line (?P<n>\d+) \(line \d+: (?P<a>[^,]*), line (?P<m>\d+): "
     r"(?P<b>[^;]*); [a-z ]+\)",
     gettext_noop("duplicate key (%(x)s): line %(n)s has %(a)s, line %(m)s has %(b)s")),
    (r"duplicate key \((?P<x>.*)\) first seen on line (?P<n>\d+).*row dropped",
     gettext_noop("duplicate key (%(x)s), first seen on line %(n)s; this row was left out")),
    (r"duplicate key \((?P<x>.*)\) first seen on line (?P<n>\d+).*",
     gettext_noop("duplicate key (%(x)s), first seen on line %(n)s")),
    (r"duplicate key \((?P<x>.*)\)", gettext_noop("duplicate key (%(x)s)")),
    (r"empty Value: row skipped.*", gettext_noop("empty value: row skipped")),
    (r"row with only empty cells skipped", gettext_noop("row with only empty cells skipped")),
    (r"short row .*", gettext_noop("short row: the last field was read as the value, the missing cells as totals")),
    (r"invalid YAML: (?P<x>.*)", gettext_noop("invalid YAML: %(x)s")),
    (r"(?P<x>\w+) .* is longer than (?P<n>\d+) characters", gettext_noop("%(x)s is longer than %(n)s characters")),
    (r"the import was interrupted \(its worker stopped\).*",
     gettext_noop("the import was interrupted (its worker stopped); nothing from it was kept")),
    (r"the import stopped on an internal error.*",
     gettext_noop("the import stopped on an internal error; nothing from it was kept")),
    (r"the database refused the file.*", gettext_noop("the database refused the file; nothing from it was imported")),
    (r"cannot read the repository: (?P<x>.*)", gettext_noop("cannot read the repository: %(x)s")),
    (r"no data/indicator_<id>.csv file found", gettext_noop("no data/indicator_<id>.csv file found")),
    (r"(?P<x>.+) is not a national indicator code.*", gettext_noop("%(x)s is not a national indicator code (such as 1-2-1)")),
    (r"the import stopped on an internal error", gettext_noop("the import stopped on an internal error")),
    (r"column (?P<x>.+) read as REF_AREA \(region names\)", gettext_noop("column %(x)s read as the region column (region names)")),
    (r"column (?P<x>.+) holds region names; the region code column is used",
     gettext_noop("column %(x)s holds region names; the region code column is used")),
    (r"not read: a data file is expected to be CSV.*",
     gettext_noop("not read: a data file must be CSV (Year, disaggregation columns, Value) or SDMX-ML (.xml)")),
    (r"not read: not an Open SDG data file.*",
     gettext_noop("not read: not an Open SDG data file (expected a header with Year, the disaggregation columns and Value)")),
    (r"input (?P<n>\d+) \((?P<c>.*)\) not read: supported are (?P<x>.*)",
     gettext_noop("input %(n)s (%(c)s) not read: supported are %(x)s")),
    (r"input (?P<n>\d+) \((?P<c>.*)\) not read: expected a path_pattern.*",
     gettext_noop("input %(n)s (%(c)s) not read: expected a path_pattern inside the repository")),
    (r"input (?P<n>\d+) \((?P<c>.*)\): no file matches (?P<x>.*)", gettext_noop("input %(n)s (%(c)s): no file matches %(x)s")),
    (r"not read \((?P<c>.*)\): expected (?P<x>.*)", gettext_noop("not read (%(c)s): expected %(x)s")),
    (r"not read: indicator (?P<x>\S+) is already read from (?P<y>.*)", gettext_noop("not read: indicator %(x)s is already read from %(y)s")),
    (r"not readable as SDMX-ML.*", gettext_noop("not readable as SDMX-ML (expected an SDMX 2.1 GenericData or StructureSpecificData message)")),
    (r"not an SDMX-ML data message.*", gettext_noop("not an SDMX-ML data message (expected GenericData or StructureSpecificData with a DataSet)")),
    (r"the SDMX-ML message holds no observations", gettext_noop("the SDMX-ML message holds no observations")),
    (r"the SDMX-ML observations have no TIME_PERIOD.*", gettext_noop("the SDMX-ML observations have no TIME_PERIOD (expected yearly data)")),
    (r"no YAML front matter.*", gettext_noop("no YAML front matter (expected a first line '---')")),
    (r"the YAML front matter is not closed.*", gettext_noop("the YAML front matter is not closed (expected a line '---')")),
    (r"not a readable Excel file.*", gettext_noop("not a readable Excel file (expected field names and values in the first sheet)")),
    (r"no data file found.*", gettext_noop("no data file found (expected data/indicator_<id>.csv files, or the inputs listed in config_data.yml)")),
]
_MESSAGES = [(re.compile(pattern + "$"), template) for pattern, template in _MESSAGES]
_LOCATED = re.compile(r"^(?P<where>.*?:\d+): (?P<reason>.*)$", re.S)


def localize_error(text: str) -> str:
    """``file:line: reason`` with the reason in the active language (unknown reasons stay in English)."""
    match = _LOCATED.match(text)
    where, reason = (match["where"], match["reason"]) if match else ("", text)
    for pattern, template in _MESSAGES:
        found = pattern.match(reason)
        if found:
            reason = gettext(template) % {k: v or "" for k, v in found.groupdict().items()}
            break
    return f"{where}: {reason}" if where else reason


def clip_reason(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"


@dataclass
class References:
    """Look-up tables loaded once per import."""

    regions: dict[str, int]  # KATO -> Region.pk
    goals: dict[int, int]  # number -> Goal.pk
    targets: dict[str, int]  # "1.2" -> Target.pk
    global_by_code: dict[str, int]  # "1.2.1" -> GlobalIndicator.pk
    global_by_title: dict[str, int]  # normalised English title -> GlobalIndicator.pk
    indicators: dict[str, Indicator] = field(default_factory=dict)  # code -> Indicator (committed state)
    indicator_targets: dict[int, set[int]] = field(default_factory=dict)  # Indicator.pk -> Target pks

    @classmethod
    def load(cls, codes=None) -> References:
        """``codes``: the indicator codes about to be imported (their rows are loaded in one query)."""
        indicators = Indicator.objects.all() if codes is None else Indicator.objects.filter(code__in=list(codes))
        indicators = {i.code: i for i in indicators}
        links: dict[int, set[int]] = {}
        through = Indicator.targets.through.objects.filter(indicator_id__in=[i.pk for i in indicators.values()])
        for indicator_id, target_id in through.values_list("indicator_id", "target_id"):
            links.setdefault(indicator_id, set()).add(target_id)
        return cls(
            regions=dict(Region.objects.values_list("kato", "pk")),
            goals=dict(Goal.objects.values_list("number", "pk")),
            targets=dict(Target.objects.values_list("code", "pk")),
            global_by_code=dict(GlobalIndicator.objects.values_list("code", "pk")),
            global_by_title={" ".join(t.split()).lower(): pk for t, pk in GlobalIndicator.objects.values_list("title_en", "pk")},
            indicators=indicators,
            indicator_targets=links,
        )


class FileRejected(Exception):
    """A file cannot be imported; ``errors`` are ``file:line: reason`` strings."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class FileOutcome:
    indicator_id: str
    path: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.errors)


# ---------------------------------------------------------------------------------------------------------------
# indicators from meta + translations


def _en(repo: opensdg.Repository, key) -> str:
    """English text of a metadata value (a translation key such as ``sources.1-2-1-source_data_1`` or text)."""
    if not key:
        return ""
    if not isinstance(key, str):
        return str(key)
    text = repo.translate(key, "en")
    if text == key and "." in key and " " not in key:
        return ""  # an untranslated key is not text to show
    return " ".join(text.split())


_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_KAZAKH = re.compile(r"[әғқңөұүһіӘҒҚҢӨҰҮҺІ]")
_KEY_LIKE = re.compile(r"[\w-]+\.[\w.-]+")
_RUSSIAN_ENDINGS = re.compile(r"(ого|его|ой|ый|ий|ая|ия|ие|ые|ых|ения|ости)\b")


def _fits_language(text: str, lang: str) -> bool:
    """A literal title (no translation key) is one language: a Russian text must not become the English or Kazakh
    title of an indicator (a foreign repository often gives ``graph_title: Доля населения…``)."""
    if not text:
        return True
    if _KEY_LIKE.fullmatch(text):  # an untranslated key such as national_indicators.3-1-1-title is no title
        return False
    if lang == "en":
        return not _CYRILLIC.search(text)
    if lang == "kk":
        return bool(_KAZAKH.search(text)) or bool(_CYRILLIC.search(text)) and not looks_russian(text) and not _RUSSIAN_ENDINGS.search(text)
    if lang == "ru":
        return bool(_CYRILLIC.search(text)) and not _KAZAKH.search(text)
    return True


@dataclass
class IndicatorPlan:
    code: str
    values: dict
    targets: list[int]
    responsible: str


def plan_indicator(repo: opensdg.Repository, indicator_id: str, frame, refs: References, path: str) -> IndicatorPlan:
    """The Indicator fields an import owns, the SDG target it links to and the responsible body.

    Fields a statistics officer maintains (direction, category, baseline, target, ranges, series breaks) are
    not touched; the responsible body is filled from the metadata only while it is empty.
    """
    parts = indicator_id.split("-")
    if len(parts) < 3 or not parts[0].isdigit() or int(parts[0]) not in refs.goals or len(indicator_id) > 24:
        raise FileRejected([f"{path}:0: {indicator_id!r} is not a national indicator code (goal-target-indicator, e.g. 1-2-1)"])
    meta = repo.meta.get(indicator_id, {})
    titles = repo.titles(indicator_id, fits=_fits_language)
    unit = ""
    computation_units = meta.get("computation_units")
    if isinstance(computation_units, str) and computation_units:
        unit = computation_units.partition(".")[2] or computation_units
    elif frame is not None and len(frame):
        units = [u for u in frame["unit"].unique() if u]
        unit = units[0] if len(units) == 1 else ""
    # Unit labels only where the repository translates the code (repo.unit falls back to the code itself).
    labels = {lang: text for lang, text in (repo.unit(indicator_id) if unit else {}).items() if text and text != unit}
    compilation, data = _en(repo, meta.get("source_compilation_1")), _en(repo, meta.get("source_data_1"))
    global_pk = refs.global_by_code.get(".".join(parts[:3]))
    if global_pk is None:
        title = _en(repo, meta.get("indicator_name"))
        global_pk = refs.global_by_title.get(title.lower()) if title else None
    values = {
        "sort_key": sort_key(indicator_id),
        "goal_id": refs.goals[int(parts[0])],
        "title_kk": titles.get("kk", ""),
        "title_ru": titles.get("ru", ""),
        "title_en": titles.get("en", ""),
        "unit": unit[:40],
        "unit_kk": labels.get("kk", "")[:120],
        "unit_ru": labels.get("ru", "")[:120],
        "unit_en": labels.get("en", "")[:120],
        "customisation": _en(repo, meta.get("customisation"))[:40],
        "reporting_status": str(meta.get("reporting_status") or "")[:20],
        "source": " — ".join(x for x in (compilation, data) if x)[:300].rstrip(),  # clipped text ends clean
        "global_indicator_id": global_pk,
    }
    target_pk = refs.targets.get(f"{parts[0]}.{parts[1]}")
    return IndicatorPlan(indicator_id, values, [target_pk] if target_pk else [],
                         _en(repo, meta.get("source_implementation_1"))[:300])


def apply_indicators(plans: list[IndicatorPlan], refs: References, *, user, reason: str) -> dict[str, Indicator]:
    """Create or update the indicators (bulk, with history) and add missing target links; returns code → row.

    Works on copies of the cached rows: the caller stores them in ``refs`` once the transaction committed."""
    out: dict[str, Indicator] = {}
    new, changed, fields = [], [], set()
    for plan in plans:
        cached = refs.indicators.get(plan.code)
        if cached is None:
            indicator = Indicator(code=plan.code, responsible_body=plan.responsible, **plan.values)
            new.append(indicator)
        else:
            indicator = copy.copy(cached)
            # An import fills and corrects, it never blanks: a repository without meta/ or translations/ (such as
            # an Aimaq download) leaves the titles, units and links it does not carry as they are.
            diff = [k for k, v in plan.values.items() if v not in ("", None) and getattr(indicator, k) != v]
            if plan.responsible and not indicator.responsible_body:
                indicator.responsible_body = plan.responsible
                diff.append("responsible_body")
            for key in diff:
                if key in plan.values:
                    setattr(indicator, key, plan.values[key])
            if diff:
                changed.append(indicator)
                fields.update(diff)
        out[plan.code] = indicator
    if new:
        bulk_create_with_history(new, Indicator, batch_size=BATCH, default_user=user, default_change_reason=reason)
        missing_pk = [i.code for i in new if i.pk is None]
        if missing_pk:  # databases that cannot return keys from a bulk insert
            keys = dict(Indicator.objects.filter(code__in=missing_pk).values_list("code", "pk"))
            for indicator in new:
                indicator.pk = indicator.pk or keys[indicator.code]
    if changed:
        bulk_update_with_history(changed, Indicator, sorted(fields), batch_size=BATCH, default_user=user,
                                 default_change_reason=reason)
    through = Indicator.targets.through
    links = []
    for plan in plans:
        indicator = out[plan.code]
        have = refs.indicator_targets.get(indicator.pk, set()) if plan.code in refs.indicators else set()
        # An import links targets; it never removes links made by hand.
        links += [through(indicator_id=indicator.pk, target_id=t) for t in plan.targets if t not in have]
    if links:
        through.objects.bulk_create(links, ignore_conflicts=True)
    return out


# ---------------------------------------------------------------------------------------------------------------
# values: fast writes with history


class ValueWriter:
    """Multi-row INSERT / UPDATE of IndicatorValue plus its simple_history rows, on the current connection.

    On SQLite the statements go straight to the sqlite3 cursor with ``?`` placeholders (Django's wrapper
    rewrites every ``%s`` with a regular expression, which costs more than the insert itself).
    """

    def __init__(self):
        self.conn = connection
        qn = connection.ops.quote_name
        opts = IndicatorValue._meta
        self.table = qn(opts.db_table)
        self.fields = {f.attname: f for f in opts.concrete_fields}
        self.cols = [qn(self.fields[name].column) for name in VALUE_COLUMNS]
        history = IndicatorValue.history.model
        self.history_table = qn(history._meta.db_table)
        self.history_cols = [qn(self.fields[f.attname].column) for f in history.tracked_fields]
        hfields = {f.attname: f for f in history._meta.concrete_fields}
        self.history_extra = [qn(hfields[name].column) for name in ("history_date", "history_change_reason", "history_type", "history_user_id")]
        self.json_field = self.fields["disaggregation"]
        self.date_field = self.fields["updated_at"]
        self.sqlite = connection.vendor == "sqlite"
        self.mark = "?" if self.sqlite else "%s"
        self._json: dict[str, object] = {}

    def _cursor(self, cursor):
        return cursor.cursor if self.sqlite else cursor

    def prep_json(self, dims: str):
        """The database form of ``parse_dims(dims)`` (cached: there are few distinct dims keys)."""
        found = self._json.get(dims)
        if found is None:
            found = self._json[dims] = self.json_field.get_db_prep_save(parse_dims(dims), self.conn)
        return found

    def prep_now(self, now):
        return self.date_field.get_db_prep_save(now, self.conn)

    def existing(self, indicator_ids) -> dict[int, dict[tuple, tuple]]:
        """indicator pk → {(year, area_code, unit, series, dims): (pk, value, region_id, territory, status,
        source_file, source_line, source_note)} for the rows already stored."""
        out: dict[int, dict[tuple, tuple]] = {pk: {} for pk in indicator_ids}
        ids = list(out)
        cols = ["id", "indicator_id", "year", "area_code", "unit", "series", "dims", *COMPARED]
        qn = self.conn.ops.quote_name
        select = ", ".join(qn(self.fields[c if c != "id" else "id"].column) for c in cols)
        with self.conn.cursor() as cursor:
            raw = self._cursor(cursor)
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                raw.execute(f"SELECT {select} FROM {self.table} WHERE indicator_id IN ({', '.join([self.mark] * len(chunk))})", chunk)
                for pk, ind, y, a, u, s, d, *rest in raw.fetchall():
                    out[ind][(y, a, u, s, d)] = (pk, *rest)
        return out

    def insert(self, rows: list[tuple], returning: bool = True) -> list[int]:
        """Insert rows (tuples in :data:`VALUE_COLUMNS` order); returns their primary keys if ``returning``.

        Without ``returning`` PostgreSQL gets a ``COPY`` (several times faster than multi-row INSERTs there)."""
        ids: list[int] = []
        if not rows:
            return ids
        if not returning and self.conn.vendor == "postgresql":
            with self.conn.cursor() as cursor:
                with cursor.cursor.copy(f"COPY {self.table} ({', '.join(self.cols)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            return ids
        one = "(" + ", ".join([self.mark] * len(VALUE_COLUMNS)) + ")"
        head = f"INSERT INTO {self.table} ({', '.join(self.cols)}) VALUES "
        tail = " RETURNING id" if returning else ""
        with self.conn.cursor() as cursor:
            raw = self._cursor(cursor)
            for start in range(0, len(rows), BATCH):
                chunk = rows[start : start + BATCH]
                raw.execute(head + ", ".join([one] * len(chunk)) + tail, [v for row in chunk for v in row])
                if returning:
                    ids.extend(r[0] for r in raw.fetchall())
        return ids

    def update(self, rows: list[tuple], columns: list[str]) -> None:
        """``rows``: tuples of the new values of ``columns`` followed by the primary key."""
        if not rows:
            return
        qn = self.conn.ops.quote_name
        sets = ", ".join(f"{qn(self.fields[c].column)} = {self.mark}" for c in columns)
        with self.conn.cursor() as cursor:
            self._cursor(cursor).executemany(f"UPDATE {self.table} SET {sets} WHERE id = {self.mark}", rows)

    def history(self, ids: list[int], kind: str, user_id, reason: str, when, column: str = "id") -> None:
        """Copy the current state of the rows whose ``column`` is in ``ids`` into the history table
        (``kind``: '+' created, '~' changed). ``column="indicator_id"`` copies every row of new indicators."""
        if not ids:
            return
        extra = [self.prep_now(when), clip_reason(reason), kind, user_id]
        cols = ", ".join(self.history_cols)
        m = self.mark
        where = self.conn.ops.quote_name(column)
        with self.conn.cursor() as cursor:
            raw = self._cursor(cursor)
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                raw.execute(
                    f"INSERT INTO {self.history_table} ({cols}, {', '.join(self.history_extra)}) "
                    f"SELECT {cols}, {m}, {m}, {m}, {m} FROM {self.table} WHERE {where} IN ({', '.join([m] * len(chunk))})",
                    extra + list(chunk),
                )


@dataclass
class RowSpec:
    """What the caller decides about the rows of one file."""

    status: str = IndicatorValue.Verification.OFFICIAL
    #: Recorded as the rows' source file (default: the file's path in the repository).
    source_file: str = ""
    source_note: str = ""
    entered_by_id: int | None = None
    #: Existing rows with one of these statuses may be overwritten; a different value over any other status
    #: makes the row an error (``None``: anything may be overwritten, as an official import does).
    replaceable: tuple[str, ...] | None = None


@dataclass
class Rows:
    """The rows of one file as parallel lists (cheaper than a dict per row)."""

    year: list[int]
    value: list[float]
    unit: list[str]
    area_code: list[str]
    region_id: list[int | None]
    territory: list[str]
    dims: list[str]
    series: list[str]
    line: list[int]

    def __len__(self) -> int:
        return len(self.year)

    @classmethod
    def from_frame(cls, frame, regions: dict[str, int]) -> Rows:
        n = len(frame)
        if not n:
            return cls([], [], [], [], [], [], [], [], [])
        return cls(
            year=frame["year"].tolist(),
            value=frame["value"].tolist(),
            unit=frame["unit"].tolist(),
            area_code=frame["region_code"].tolist(),
            region_id=[regions.get(k) if k else None for k in frame["region_kato"].tolist()],
            territory=frame["territory"].tolist(),
            dims=frame["dims"].tolist(),
            series=frame["SERIES"].tolist() if "SERIES" in frame else [""] * n,
            line=frame["line"].tolist(),
        )


@dataclass
class Plan:
    indicator_pk: int
    new: list[tuple] = field(default_factory=list)
    changed: list[tuple] = field(default_factory=list)
    unchanged: int = 0
    #: The indicator was created in this transaction: every row of it is new (history copied by indicator).
    fresh: bool = False


def plan_rows(indicator_pk: int, rows: Rows, existing: dict[tuple, tuple] | None, spec: RowSpec, *, path: str,
              writer: ValueWriter, now_db) -> Plan:
    """Decide per row: insert, update or leave alone. Raises :class:`FileRejected` listing every bad row.

    ``existing=None``: the indicator is new, so there is nothing to compare with."""
    plan, errors, seen = Plan(indicator_pk, fresh=existing is None), [], set()
    source_file = spec.source_file or path
    for name, limit in MAX_LENGTH.items():
        texts = getattr(rows, name)
        if texts and max(map(len, texts)) > limit:
            for i, text in enumerate(texts):
                if len(text) > limit:
                    errors.append(f"{path}:{rows.line[i]}: {name} {text[:40]!r}… is longer than {limit} characters")
    keys = list(zip(rows.year, rows.area_code, rows.unit, rows.series, rows.dims))
    if existing is None and len(set(keys)) == len(keys) and not errors:
        # Fast path (a new indicator, keys unique): every row is inserted.
        n = len(keys)
        plan.new = list(zip(
            [indicator_pk] * n, rows.region_id, rows.area_code, rows.territory, rows.year, rows.unit, rows.series,
            rows.dims, map(writer.prep_json, rows.dims), rows.value, [spec.status] * n, [source_file] * n, rows.line,
            [spec.source_note] * n, [spec.entered_by_id] * n, [None] * n, [None] * n, [now_db] * n,
        ))
        return plan
    existing = existing or {}
    for i in range(len(rows)):
        year, value, area, unit, series, dims, line = (rows.year[i], rows.value[i], rows.area_code[i], rows.unit[i],
                                                       rows.series[i], rows.dims[i], rows.line[i])
        key = (year, area, unit, series, dims)
        if key in seen:
            errors.append(f"{path}:{line}: duplicate key (year {year}, {area or 'national'}, {dims or 'totals'})")
            continue
        seen.add(key)
        wanted = (value, rows.region_id[i], rows.territory[i], spec.status, source_file, line, spec.source_note)
        old = existing.get(key)
        if old is None:
            plan.new.append((indicator_pk, rows.region_id[i], area, rows.territory[i], year, unit, series, dims,
                             writer.prep_json(dims), value, spec.status, source_file, line, spec.source_note,
                             spec.entered_by_id, None, None, now_db))
        elif old[1:] == wanted:
            plan.unchanged += 1
        elif spec.replaceable is not None and old[4] not in spec.replaceable:
            if old[1] == value:
                plan.unchanged += 1  # the same figure is already there: nothing to enter
            else:
                errors.append(f"{path}:{line}: {year} already has a value ({old[1]:g}, {old[4]}) that only a statistics officer can change")
        else:
            plan.changed.append(wanted + (spec.entered_by_id, now_db, old[0]))
    if errors:
        raise FileRejected(errors)
    return plan


def apply_plans(writer: ValueWriter, plans: list[Plan], *, user_id, reason: str, now) -> None:
    fresh = [plan for plan in plans if plan.fresh]
    # In the order of the unique key (indicator, year, area, unit, series, dims): its index then grows at the end.
    rows = [row for plan in fresh for row in plan.new]
    rows.sort(key=lambda r: (r[0], r[4], r[2], r[5], r[6], r[7]))
    writer.insert(rows, returning=False)
    writer.history([plan.indicator_pk for plan in fresh if plan.new], "+", user_id, reason, now, column="indicator_id")
    ids = writer.insert([row for plan in plans if not plan.fresh for row in plan.new])
    writer.history(ids, "+", user_id, reason, now)
    changed = [row for plan in plans for row in plan.changed]
    if changed:
        writer.update(changed, COMPARED + ["entered_by_id", "updated_at"])
        writer.update([(None, None, row[-1]) for row in changed], ["verified_by_id", "verified_at"])  # needs a new check
        writer.history([row[-1] for row in changed], "~", user_id, reason, now)


def write_rows(indicator: Indicator, rows: Rows, spec: RowSpec, *, path: str, user_id, reason: str) -> tuple[int, int, int]:
    """Create/update one file's rows (call inside a transaction); returns (created, updated, unchanged).

    Raises :class:`FileRejected` before writing anything when a row is bad."""
    writer = ValueWriter()
    now = timezone.now()
    plan = plan_rows(indicator.pk, rows, writer.existing([indicator.pk])[indicator.pk], spec, path=path,
                     writer=writer, now_db=writer.prep_now(now))
    plan.fresh = False
    apply_plans(writer, [plan], user_id=user_id, reason=reason, now=now)
    return len(plan.new), len(plan.changed), plan.unchanged


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


def learn_columns(repo: opensdg.Repository) -> int:
    """Store the disaggregation columns and values of a repository with their labels (fills blanks, corrects
    labels the repository now gives otherwise, never blanks one); returns how many were added or changed."""
    labels = repo.column_labels()
    if not labels:
        return 0
    existing = {(d.column, d.code): d for d in DisaggregationLabel.objects.all()}
    new, changed = [], []
    for (column, code), texts in labels.items():
        if len(column) > 80 or len(code) > 120:
            continue
        values = {f"label_{lang}": text[:300] for lang, text in texts.items() if text}
        row = existing.get((column, code))
        if row is None:
            new.append(DisaggregationLabel(column=column, code=code, **values))
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            changed.append(row)
    DisaggregationLabel.objects.bulk_create(new, batch_size=BATCH, ignore_conflicts=True)
    if changed:
        DisaggregationLabel.objects.bulk_update(changed, ["label_kk", "label_ru", "label_en"], batch_size=BATCH)
    return len(new) + len(changed)


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


def run_warnings(run: ImportRun) -> list[str]:
    """Rows the reader repaired or skipped (``file:line: reason``)."""
    return list(run.warnings or [])


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


# ---------------------------------------------------------------------------------------------------------------
# web imports: uploaded archives and the task queue


class ArchiveError(ValueError):
    pass


MAX_ARCHIVE_FILES = 5000
MAX_ARCHIVE_BYTES = 300 * 1024 * 1024


def extract_archive(uploaded, target: Path) -> Path:
    """Unpack a zip of an Open SDG repository into ``target``; returns the repository root (the folder holding
    ``data/``). Refuses unsafe names, too many or too large members, and archives without data files."""
    try:
        archive = zipfile.ZipFile(uploaded)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(gettext("The file is not a zip archive.")) from exc
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_ARCHIVE_FILES:
            raise ArchiveError(gettext("The archive holds too many files (at most %(n)s).") % {"n": MAX_ARCHIVE_FILES})
        if sum(m.file_size for m in members) > MAX_ARCHIVE_BYTES:
            raise ArchiveError(gettext("The archive is too large when unpacked."))
        roots = Counter()
        for member in members:
            name = PurePosixPath(member.filename.replace("\\", "/"))
            if name.is_absolute() or ".." in name.parts or not name.parts:
                raise ArchiveError(gettext("The archive contains an unsafe file name."))
            if len(name.parts) >= 2 and name.parts[-2] == "data" and name.suffix.lower() in (".csv", ".xml"):
                roots[PurePosixPath(*name.parts[:-2])] += 1
            elif name.name == opensdg.CONFIG_FILE:  # a repository whose config_data.yml names its inputs
                roots[PurePosixPath(*name.parts[:-1])] += 10**6
        if not roots:
            raise ArchiveError(gettext("The archive holds no data/indicator_<id>.csv file."))
        root = roots.most_common(1)[0][0]
        for member in members:
            name = PurePosixPath(member.filename.replace("\\", "/"))
            try:
                rel = name.relative_to(root)
            except ValueError:
                continue
            if rel.parts[0].startswith(".") or rel.parts[0] in ("_site", "_build", "node_modules"):
                continue  # the repository's inputs may live anywhere its config_data.yml says; tooling folders not
            dest = target.joinpath(*rel.parts)
            dest.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out)
    return target


def upload_dir() -> Path:
    """Where uploaded archives are unpacked for the workers: ``MEDIA_ROOT/imports`` (shared with the workers)."""
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def start_import(run: ImportRun, root: Path, *, cleanup: Path | None = None, duplicates: str | None = None):
    """Queue :func:`import_repository` for ``run`` on the task queue (a worker process runs it, see
    :mod:`jobs.runner`). ``cleanup``: a temporary folder to delete afterwards (it must be on storage the workers
    share with the web server); ``duplicates``: as for :func:`import_repository`."""
    return runner.enqueue(run, import_job, root, cleanup=cleanup, duplicates=duplicates, fail=import_failed)


def run_import_here(run: ImportRun, root: Path, *, only=None, duplicates: str | None = None,
                    skip_unchanged: bool = True) -> ImportRun:
    """Run the import of ``run`` in this process (the command line) as a worker would: one transaction, a lease,
    and the run marked failed at once if the process is killed."""
    runner.run_here(run, import_job, root, only=list(only) if only else None, duplicates=duplicates,
                    skip_unchanged=skip_unchanged, fail=import_failed)
    run.refresh_from_db()
    return run


def import_job(run: ImportRun, root, *, cleanup=None, duplicates: str | None = None, only=None,
               skip_unchanged: bool = True) -> None:
    """The job: the whole import in the job's transaction (a killed worker leaves the data as before)."""
    try:
        import_repository(Path(root), run=run, user=run.user, duplicates=duplicates, only=only,
                          skip_unchanged=skip_unchanged)
    finally:
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)


def import_failed(run: ImportRun, exc: BaseException) -> None:
    """A crashed or killed import: its transaction was rolled back, so nothing it counted was kept."""
    if isinstance(exc, runner.WorkerLost):
        log.error("import run %s: its worker stopped", run.pk)
        message = f"{run.source}:0: the import was interrupted (its worker stopped); nothing from it was kept"
    else:
        message = f"{run.source}:0: the import stopped on an internal error; nothing from it was kept"
    ImportRun.objects.filter(pk=run.pk, finished_at__isnull=True).update(
        status=ImportRun.Status.FAILED, finished_at=timezone.now(), files_done=0, rows_created=0, rows_updated=0,
        rows_unchanged=0, files_failed=max(run.files_failed, 1), errors=list(run.errors or []) + [message])
