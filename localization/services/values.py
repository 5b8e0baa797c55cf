"""Values entered by akimat officers, their verification, and downloads in the Open SDG layout.

* **Entry** (form or CSV/XLSX upload in the Open SDG CSV layout): only for a region the user may edit
  (:func:`localization.permissions.can_edit_region`); validated (year, unit range, duplicates, region code);
  stored as ``unverified`` with who entered it and from which file and line. An upload is all or nothing.
* **Verification**: statistics officers and administrators verify or reject an unverified value, giving a
  reason; simple_history records who, when and why (a rejected value is removed, its history stays).
* **Downloads**: CSV in the Open SDG layout (written by :func:`localization.core.opensdg.write_indicator_csv`,
  so re-importing it gives back exactly the same values) and XLSX, for one indicator, one region or everything.
  Only published values (official, verified, estimate) are downloaded.
"""
from __future__ import annotations

import csv
import datetime
import io
import math
import re
import zipfile
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.lazy import lazy

from ..core.safecells import safe_row
from ..models import GlobalIndicator, Indicator, IndicatorValue, Region
from ..permissions import can_edit_region, is_statistics
from . import imports

pd, opensdg = lazy("pandas"), lazy("localization.core.opensdg")  # imported on first use

Status = IndicatorValue.Verification
PUBLISHED = (Status.OFFICIAL, Status.VERIFIED, Status.ESTIMATE)
FIRST_YEAR = 1990
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
_DIM_VALUE = re.compile(r"^[A-Za-z0-9_.+\-<>]{1,40}$")


def dimensions() -> list[str]:
    """Disaggregation columns a value may carry (the national set's, without Year/Value/unit/area columns)."""
    return sorted(opensdg.NATIONAL_COLUMNS - {"Year", "Value", *opensdg.UNIT_COLUMNS, *opensdg.GEO_COLUMNS})


def last_year() -> int:
    return timezone.localdate().year + 1


def value_range(indicator: Indicator, unit: str) -> tuple[float | None, float | None]:
    """Allowed values: the indicator's own bounds if a statistics officer set any, else 0–100 for a percentage."""
    return indicator.bounds_for(unit) or (None, None)


def check_year(year: int) -> str | None:
    if not FIRST_YEAR <= year <= last_year():
        return _("The year must be between %(first)s and %(last)s.") % {"first": FIRST_YEAR, "last": last_year()}
    return None


def check_value(indicator: Indicator, unit: str, value: float) -> str | None:
    if not math.isfinite(value):
        return _("The value must be a number.")
    low, high = value_range(indicator, unit)
    if low is not None and value < low or high is not None and value > high:
        if low is not None and high is not None:
            return _("The value must be between %(low)s and %(high)s.") % {"low": f"{low:g}", "high": f"{high:g}"}
        if low is not None:
            return _("The value must be at least %(low)s.") % {"low": f"{low:g}"}
        return _("The value must be at most %(high)s.") % {"high": f"{high:g}"}
    return None


def parse_disaggregation(text: str) -> str:
    """``"SEX=F; URBANISATION=U"`` (``;``, ``|`` or ``,`` between parts) → canonical dims key; raises ValidationError."""
    parts = [p.strip() for p in re.split(r"[;|,]", text or "") if p.strip()]
    mapping: dict[str, str] = {}
    for part in parts:
        name, eq, code = (s.strip() for s in part.partition("="))
        if not eq or not name or not code:
            raise ValidationError(_("Write each disaggregation as COLUMN=CODE, for example SEX=F."))
        if name not in dimensions():
            raise ValidationError(_("Unknown disaggregation column %(name)s. Known columns: %(known)s.")
                                  % {"name": name, "known": ", ".join(dimensions())})
        if not _DIM_VALUE.match(code):
            raise ValidationError(_("The code %(code)s may only contain Latin letters, digits and _ . + - < >.") % {"code": code})
        if name in mapping:
            raise ValidationError(_("The column %(name)s is given twice.") % {"name": name})
        mapping[name] = code
    return imports.dims_key(mapping)


# ---------------------------------------------------------------------------------------------------------------
# entry by form


def enter_value(user, *, indicator: Indicator, region: Region, year: int, value: float, unit: str = "",
                disaggregation: str = "", note: str = "") -> IndicatorValue:
    """Record one value for ``region`` as unverified. Raises PermissionDenied or ValidationError (field → message)."""
    if not can_edit_region(user, region):
        raise PermissionDenied
    unit = (unit or indicator.unit or "").strip()
    errors: dict[str, list[str]] = {}
    if message := check_year(year):
        errors.setdefault("year", []).append(message)
    if message := check_value(indicator, unit, value):
        errors.setdefault("value", []).append(message)
    try:
        dims = parse_disaggregation(disaggregation)
    except ValidationError as exc:
        errors.setdefault("disaggregation", []).extend(exc.messages)
        dims = ""
    if len(unit) > 40:
        errors.setdefault("unit", []).append(_("The unit code is too long."))
    if errors:
        raise ValidationError(errors)
    series = imports.parse_dims(dims).get("SERIES", "")
    key = {"indicator": indicator, "year": year, "area_code": region.ref_area, "unit": unit, "series": series, "dims": dims}
    with transaction.atomic():
        existing = IndicatorValue.objects.select_for_update().filter(**key).first()
        if existing is not None and existing.status != Status.UNVERIFIED:
            raise ValidationError({"value": [
                _("%(year)s already has a value (%(value)s, %(status)s); only a statistics officer can change it.")
                % {"year": year, "value": f"{existing.value:g}", "status": existing.get_status_display()}]})
        if existing is not None and existing.value == value:
            raise ValidationError({"value": [_("This value is already recorded and awaits verification.")]})
        obj = existing or IndicatorValue(**key)
        obj.region = region
        obj.territory = "2024"
        obj.disaggregation = imports.parse_dims(dims)
        obj.value = value
        obj.status = Status.UNVERIFIED
        obj.source_file = ""
        obj.source_line = None
        obj.source_note = note[:300]  # the officer's source or comment; who and when are entered_by / history
        obj.entered_by = user
        obj.verified_by = None
        obj.verified_at = None
        obj._history_user = user
        obj._change_reason = imports.clip_reason(("Corrected" if existing else "Entered") + (f": {note}" if note else " by form"))
        obj.save()
    return obj


# ---------------------------------------------------------------------------------------------------------------
# entry by upload


class UploadRejected(Exception):
    """The whole upload is refused; ``errors`` lists every bad row as ``file:line: reason``."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class UploadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(opensdg.format_values([value])[0]) if math.isfinite(value) else str(value)
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    return str(value).strip()


#: What an uploaded XLSX may cost (an upload bomb — a small zip of a huge sheet — is refused before or while it
#: is read, with a message; nothing is imported). The uncompressed size is checked from the zip's directory
#: before openpyxl opens anything; rows, cells and time are checked while streaming (openpyxl read_only).
MAX_XLSX_ROWS = 20_000
MAX_XLSX_COLUMNS = 50
MAX_XLSX_CELLS = 200_000
MAX_XLSX_UNCOMPRESSED = 40 * 1024 * 1024
MAX_XLSX_RATIO = 200  # uncompressed / compressed size of any member
MAX_XLSX_SECONDS = 10.0


class TooLarge(ValueError):
    """The upload would cost too much to read; ``str(exc)`` is the translated reason."""


def check_xlsx_container(data: bytes) -> None:
    """Refuse an XLSX whose zip declares too much uncompressed data (the declared sizes: nothing is inflated)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return  # openpyxl reports "not a readable XLSX file"
    infos = archive.infolist()
    total = sum(info.file_size for info in infos)
    if total > MAX_XLSX_UNCOMPRESSED:
        raise TooLarge(_("the file unpacks to %(mb)s MB; at most %(max)s MB are accepted")
                       % {"mb": f"{total / 2**20:,.0f}", "max": MAX_XLSX_UNCOMPRESSED // 2**20})
    for info in infos:
        if info.compress_size and info.file_size / info.compress_size > MAX_XLSX_RATIO and info.file_size > 2**20:
            raise TooLarge(_("the file is compressed suspiciously well (a \"zip bomb\"); save it again without "
                             "empty formatted cells"))


def xlsx_to_csv_text(data: bytes, sheet_name: str = "") -> str:
    """A worksheet of an XLSX file as CSV text (row n of the sheet = line n of the text): the sheet called
    ``sheet_name`` if there is one (an Aimaq download names its sheets by indicator), else the first."""
    import time

    from openpyxl import load_workbook

    check_xlsx_container(data)
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    deadline = time.monotonic() + MAX_XLSX_SECONDS
    try:
        sheet = workbook[sheet_name] if sheet_name and sheet_name in workbook.sheetnames else workbook.worksheets[0]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        rows = []
        cells = 0
        for row in sheet.iter_rows(values_only=True, max_col=MAX_XLSX_COLUMNS):
            if len(rows) >= MAX_XLSX_ROWS:
                raise TooLarge(_("the sheet has more than %(n)s rows") % {"n": f"{MAX_XLSX_ROWS:,}"})
            cells += len(row)
            if cells > MAX_XLSX_CELLS:
                raise TooLarge(_("the sheet has more than %(n)s cells") % {"n": f"{MAX_XLSX_CELLS:,}"})
            if time.monotonic() > deadline:
                raise TooLarge(_("the sheet takes too long to read; split it into smaller files"))
            rows.append([_cell_text(v) for v in row])
    finally:
        workbook.close()
    width = max((max((i + 1 for i, v in enumerate(r) if v != ""), default=0) for r in rows), default=0)
    for row in rows:
        writer.writerow((row + [""] * width)[:width])
    return out.getvalue()


def read_upload(name: str, data: bytes, indicator: Indicator) -> opensdg.IndicatorFile:
    """Read an uploaded CSV or XLSX in the Open SDG layout with the core reader (errors in ``.errors``)."""
    lower = name.lower()
    if lower.endswith(".xlsx"):
        try:
            text = xlsx_to_csv_text(data, indicator.code[:31])
        except TooLarge as exc:
            return opensdg.IndicatorFile(indicator.code, name, pd.DataFrame(), [], [opensdg.RowError(name, 0, str(exc))])
        except Exception:  # noqa: BLE001 - openpyxl raises many kinds of errors on a damaged file
            return opensdg.IndicatorFile(indicator.code, name, pd.DataFrame(), [], [opensdg.RowError(name, 0, _("not a readable XLSX file"))])
    elif lower.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            return opensdg.IndicatorFile(indicator.code, name, pd.DataFrame(), [], [opensdg.RowError(name, line, _("the file is not UTF-8 text"))])
    else:
        return opensdg.IndicatorFile(indicator.code, name, pd.DataFrame(), [], [opensdg.RowError(name, 0, _("only .csv and .xlsx files are accepted"))])
    return opensdg.read_indicator_text(text, indicator.code, path=name, codes=imports.code_table(), duplicates="error")


def _line_of(error: str) -> int:
    match = re.search(r":(\d+): ", error)
    return int(match.group(1)) if match else 0


def upload_values(user, *, indicator: Indicator, region: Region, name: str, data: bytes) -> UploadResult:
    """Import an akimat officer's CSV/XLSX for ``region`` as unverified values — all rows or none.

    Every row must carry the region's REF_AREA code; rows for another region, national rows, bad years, values
    outside the unit's range and duplicates refuse the whole upload (UploadRejected lists them all)."""
    if not can_edit_region(user, region):
        raise PermissionDenied
    name = (name or "upload.csv").replace("\\", "/").rsplit("/", 1)[-1][:200]
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadRejected([f"{name}:0: " + _("the file is larger than 5 MB")])
    match = re.match(r"^indicator_(.+)\.(csv|xlsx)$", name, re.I)
    if match and match.group(1) != indicator.code:
        raise UploadRejected([f"{name}:0: " + _("the file is named for indicator %(file)s, not %(chosen)s")
                              % {"file": match.group(1), "chosen": indicator.code}])
    f = read_upload(name, data, indicator)
    if f.errors:
        raise UploadRejected([imports.localize_error(str(e)) for e in f.errors])
    frame = f.frame
    if not len(frame):
        raise UploadRejected([f"{name}:0: " + _("the file has no data rows")])
    errors = []
    for year, value, unit, code, line in zip(frame["year"].tolist(), frame["value"].tolist(), frame["unit"].tolist(),
                                             frame["region_code"].tolist(), frame["line"].tolist()):
        if code != region.ref_area:
            if code:
                reason = _("REF_AREA %(code)s is not your region (%(own)s)") % {"code": code, "own": region.ref_area}
            else:
                reason = _("REF_AREA is empty: national values are entered by the statistics office; use %(own)s") % {"own": region.ref_area}
            errors.append(f"{name}:{line}: {reason}")
        if message := check_year(int(year)):
            errors.append(f"{name}:{line}: {message}")
        if message := check_value(indicator, unit, float(value)):
            errors.append(f"{name}:{line}: {message}")
    for column in [c for c in frame.columns if c not in opensdg.BASE_COLUMNS]:
        for text, line in zip(frame[column].tolist(), frame["line"].tolist()):
            if "|" in str(text):  # "|" separates the disaggregations of a stored key: it cannot be part of a value
                errors.append(f"{name}:{line}: " + _("the value of column %(column)s contains the character “|”, "
                                                     "which a disaggregation value may not contain") % {"column": column})
    if errors:
        errors.sort(key=_line_of)
        raise UploadRejected(errors)
    rows = imports.Rows.from_frame(frame, {region.kato: region.pk})
    spec = imports.RowSpec(status=Status.UNVERIFIED, source_file=name, entered_by_id=user.pk, replaceable=(Status.UNVERIFIED,))
    try:
        with transaction.atomic():
            created, updated, unchanged = imports.write_rows(
                indicator, rows, spec, path=name, user_id=user.pk, reason=f"Uploaded by akimat: {name}"
            )
    except imports.FileRejected as exc:
        raise UploadRejected([imports.localize_error(e) for e in exc.errors]) from exc
    return UploadResult(created, updated, unchanged, [imports.localize_error(str(w)) for w in f.warnings])


# ---------------------------------------------------------------------------------------------------------------
# verification


def awaiting_verification(user, region: Region | None = None):
    """Unverified values the user may verify (statistics officers and administrators only)."""
    if not is_statistics(user):
        raise PermissionDenied
    qs = IndicatorValue.objects.filter(status=Status.UNVERIFIED).select_related("indicator", "region", "entered_by")
    if region is not None:
        qs = qs.filter(region=region)
    return qs.order_by("region__kato", "indicator__sort_key", "year", "dims")


def _check_verifier(user, value: IndicatorValue) -> None:
    if not is_statistics(user) or (value.region_id and not can_edit_region(user, value.region_id)):
        raise PermissionDenied
    if value.status != Status.UNVERIFIED:
        raise ValidationError(_("This value is not awaiting verification."))


def verify_value(user, value: IndicatorValue, reason: str = "") -> IndicatorValue:
    _check_verifier(user, value)
    with transaction.atomic():
        value.status = Status.VERIFIED
        value.verified_by = user
        value.verified_at = timezone.now()
        value._history_user = user
        value._change_reason = imports.clip_reason("Verified" + (f": {reason}" if reason.strip() else ""))
        value.save()
    return value


def reject_value(user, value: IndicatorValue, reason: str) -> None:
    """Remove an unverified value; its history keeps it, with who rejected it and why."""
    _check_verifier(user, value)
    if not reason.strip():
        raise ValidationError(_("Give a reason for the rejection."))
    with transaction.atomic():
        value._history_user = user
        value._change_reason = imports.clip_reason(f"Rejected: {reason}")
        value.delete()


def rejected_values(region: Region, limit: int = 50) -> list:
    """The latest rejected entries of a region (from history); ``.reason`` is the reason given."""
    records = list(IndicatorValue.history.filter(history_type="-", region_id=region.pk, status=Status.UNVERIFIED)
                   .select_related("history_user").order_by("-history_date")[:limit])
    for record in records:
        record.reason = (record.history_change_reason or "").removeprefix("Rejected: ")
    return records


# ---------------------------------------------------------------------------------------------------------------
# downloads


def published(indicators=None, region: Region | None = None):
    qs = IndicatorValue.objects.filter(status__in=PUBLISHED)
    if indicators is not None:
        qs = qs.filter(indicator__in=indicators)
    if region is not None:
        qs = qs.filter(region=region)
    return qs


def _area_column(code: str) -> str:
    """The code as written in a data file: ``KZAKT@11-6-2`` (a code with a file-specific meaning) → ``KZAKT``."""
    return code.split("@", 1)[0]


EXPORT_FIELDS = ["indicator_id", "year", "value", "unit", "area_code", "dims", "source_line", "pk", "source_file",
                 "indicator__code"]


def _frames(qs) -> dict[int, pd.DataFrame]:
    """indicator pk → rows in source order: the rows imported from the file the export writes
    (``data/indicator_<code>.csv``) by their line, then the others (year, area, dims)."""
    rows = list(qs.values_list(*EXPORT_FIELDS))
    if not rows:
        return {}
    df = pd.DataFrame(rows, columns=EXPORT_FIELDS)
    own = df["source_file"] == "data/indicator_" + df["indicator__code"] + ".csv"
    df["own_line"] = df["source_line"].where(own)
    df["order"] = pd.to_numeric(df["own_line"], errors="coerce").fillna(10**9)  # None (no line) sorts last
    df = df.sort_values(["indicator_id", "order", "year", "area_code", "dims", "pk"], kind="stable")
    return {pk: part for pk, part in df.groupby("indicator_id", sort=False)}


def layout_frame(part: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """A frame for :func:`opensdg.write_indicator_csv` and its columns: unit first, disaggregations, REF_AREA."""
    dims = [imports.parse_dims(d) for d in part["dims"]]
    names: list[str] = []
    for mapping in dims:
        for name in mapping:
            if name not in names:
                names.append(name)
    names.sort()
    frame = pd.DataFrame({"year": part["year"].to_numpy(), "value": part["value"].to_numpy()})
    columns = []
    if (part["unit"] != "").any():
        frame["UNIT_MEASURE"] = part["unit"].to_numpy()
        columns.append("UNIT_MEASURE")
    for name in names:
        frame[name] = [m.get(name, "") for m in dims]
        columns.append(name)
    if (part["area_code"] != "").any():
        frame["REF_AREA"] = [_area_column(c) for c in part["area_code"]]
        columns.append("REF_AREA")
    return frame, columns


def indicator_csv(indicator: Indicator, region: Region | None = None) -> str:
    """One indicator's published values as ``data/indicator_<code>.csv`` text (header only when there are none)."""
    part = _frames(published([indicator], region)).get(indicator.pk)
    if part is None:
        return opensdg.write_indicator_csv(pd.DataFrame({"year": [], "value": []}), [])
    frame, columns = layout_frame(part)
    return opensdg.write_indicator_csv(frame, columns)


def _at_source_lines(text: str, lines) -> str:
    """Put each data row back on the line it was imported from (blank lines between, which Open SDG and pandas
    skip), so that a re-import of the export finds every row with the same provenance and reports it unchanged.
    Rows without a line of this file (entered values, other files) follow in order."""
    rows = text.split("\n")
    header, body, tail = rows[0], rows[1:-1] if rows[-1] == "" else rows[1:], rows[-1] == ""
    if len(body) != len(lines):  # a quoted line break: keep the plain layout
        return text
    out, current = [header], 1
    for row, line in zip(body, lines):
        target = int(line) if line == line and line is not None else 0
        if target > current + 1:
            out.extend([""] * (target - current - 1))
            current = target - 1
        out.append(row)
        current += 1
    return "\n".join(out) + ("\n" if tail else "")


def indicator_files(indicators, region: Region | None = None) -> dict[str, str]:
    """``data/indicator_<code>.csv`` text per indicator with published values, in the national layout."""
    indicators = list(indicators)
    frames = _frames(published(indicators, region))
    out = {}
    for indicator in indicators:
        part = frames.get(indicator.pk)
        if part is None:
            continue
        frame, columns = layout_frame(part)
        out[f"data/indicator_{indicator.code}.csv"] = _at_source_lines(opensdg.write_indicator_csv(frame, columns),
                                                                       part["own_line"].tolist())
    return out


def _yaml(mapping: dict) -> str:
    import yaml

    return yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False, width=10**6)


def repository_files(indicators, region: Region | None = None) -> dict[str, str]:
    """The site's data as an Open SDG data repository laid out like the national platform's:

    * ``data/indicator_<code>.csv`` -- Year, the disaggregation columns, Value (published values only);
    * ``meta/<code>.md`` -- YAML front matter (``indicator_number``, ``graph_title``/``indicator_available`` and
      ``computation_units`` as translation keys, ``reporting_status``, ``source_data_1``), as sdg-build's
      ``InputYamlMdMeta`` reads it;
    * ``translations/<kk|ru|en>/<group>.yml`` -- ``national_indicators`` (titles), ``UNIT_MEASURE`` (unit labels),
      one group per disaggregation column (value labels) and ``data`` (column labels), from what the imports learned.
    """
    from ..models import DisaggregationLabel

    indicators = list(indicators)
    files = indicator_files(indicators, region)
    globals_ = {g.pk: g for g in GlobalIndicator.objects.filter(pk__in=[i.global_indicator_id for i in indicators])}
    translations: dict[str, dict[str, dict[str, str]]] = {lang: {} for lang in opensdg.LANGUAGES}
    columns: set[str] = set()
    for indicator in indicators:
        path = f"data/indicator_{indicator.code}.csv"
        if path not in files:
            continue
        columns |= set(files[path].split("\n", 1)[0].split(",")) - {"Year", "Value", "UNIT_MEASURE", "REF_AREA"}
        key = f"{indicator.code}-title"
        meta = {"indicator_number": indicator.code.replace("-", "."),
                "graph_title": f"national_indicators.{key}", "indicator_available": f"national_indicators.{key}"}
        for lang in opensdg.LANGUAGES:
            title = getattr(indicator, f"title_{lang}", "")
            if title:
                translations[lang].setdefault("national_indicators", {})[key] = title
        if indicator.unit:
            meta["computation_units"] = f"UNIT_MEASURE.{indicator.unit}"
            for lang in opensdg.LANGUAGES:
                label = getattr(indicator, f"unit_{lang}", "")
                if label:
                    translations[lang].setdefault("UNIT_MEASURE", {})[indicator.unit] = label
        if indicator.global_indicator_id:  # the UN indicator it localizes, by its title (as the national meta does)
            meta["indicator_name"] = globals_[indicator.global_indicator_id].title_en
        if indicator.reporting_status:
            meta["reporting_status"] = indicator.reporting_status
        if indicator.customisation:
            meta["customisation"] = indicator.customisation
        if indicator.source:
            meta["source_data_1"] = indicator.source
        files[f"meta/{indicator.code}.md"] = "---\n" + _yaml(meta) + "---\n"
    for label in DisaggregationLabel.objects.filter(column__in=sorted(columns)):
        for lang in opensdg.LANGUAGES:
            text = getattr(label, f"label_{lang}")
            if text:
                group = "data" if label.code == "" else label.column
                translations[lang].setdefault(group, {})[label.code or label.column] = text
    for lang, groups in translations.items():
        for group, mapping in sorted(groups.items()):
            files[f"translations/{lang}/{group}.yml"] = _yaml(dict(sorted(mapping.items())))
    return files


def csv_zip(indicators, region: Region | None = None) -> bytes:
    """The site's data as a zip of an Open SDG data repository (:func:`repository_files`) that ``import_opensdg``,
    the web import and sdg-build read back, plus a README on the source."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in repository_files(indicators, region).items():
            archive.writestr(path, text)
        archive.writestr("README.txt", readme_text(region))
    return buf.getvalue()


def readme_text(region: Region | None = None) -> str:
    scope = f"region {region.name_en} (REF_AREA {region.ref_area})" if region else "all regions and the national level"
    return (
        "Aimaq export in the Open SDG data layout (data/indicator_<id>.csv: Year, disaggregation columns, Value;\n"
        "meta/<id>.md: YAML front matter; translations/<lang>/<group>.yml).\n"
        f"Scope: {scope}. Published values only (official statistics, values verified by the statistics office, estimates).\n"
        "Official statistics: Bureau of National Statistics of the Agency for Strategic Planning and Reforms of the\n"
        "Republic of Kazakhstan, national SDG reporting platform (kazstat/sdg-data-kazstat, MIT).\n"
        f"Exported {timezone.now():%Y-%m-%d %H:%M} UTC.\n"
    )


def workbook(indicators, region: Region | None = None, lang: str = "en") -> bytes:
    """XLSX: an "About" sheet (indicators, units, sources, scope) and one sheet per indicator in the Open SDG
    layout — the same columns as the CSV, so a sheet saved on its own can be uploaded again."""
    from openpyxl import Workbook

    indicators = list(indicators)
    frames = _frames(published(indicators, region))
    book = Workbook(write_only=True)
    about = book.create_sheet("About")
    for line in readme_text(region).splitlines():
        about.append(safe_row([line]))
    about.append([])
    about.append(["code", "title", "unit", "source", "values"])
    for indicator in indicators:
        part = frames.get(indicator.pk)
        about.append(safe_row([indicator.code, indicator.tr("title", lang), indicator.unit_in(lang),
                               indicator.source_in(lang), 0 if part is None else len(part)]))
    for indicator in indicators:
        part = frames.get(indicator.pk)
        if part is None:
            continue
        frame, columns = layout_frame(part)
        sheet = book.create_sheet(indicator.code[:31])
        sheet.append(safe_row(["Year", *columns, "Value"]))
        data = [frame["year"].astype(int).tolist()] + [frame[c].tolist() for c in columns] + [frame["value"].tolist()]
        for row in zip(*data):
            sheet.append(safe_row(row))  # text never starts a formula; numbers stay numbers
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
