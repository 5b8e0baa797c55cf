"""Fast writes of IndicatorValue rows with their history: multi-row SQL (``COPY`` on PostgreSQL), a plan per file
(insert, update or leave alone) and :func:`write_rows` for one file (also used by the value upload)."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from ...models import Indicator, IndicatorValue
from .codes import parse_dims
from .common import BATCH, FileRejected, clip_reason

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
