"""Tests for localization.core.opensdg: reader, validator and writer for Open SDG data repositories.

Real data: the copy of Kazakhstan's national SDG platform in fixtures/kazstat-sdg-data/ (273 CSV files,
45,585 data rows).  Expected numbers below were read off the CSV files themselves.
"""

import csv
import math
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

# The editable install maps no packages and ``-p no:django`` skips pytest-django's
# path setup, so make the repository root importable (no-op when it already is).
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from localization.core.opensdg import (  # noqa: E402
    CodeTable,
    RowError,
    format_values,
    load_code_table,
    read_indicator_csv,
    read_indicator_text,
    read_repository,
    write_indicator_csv,
    write_like_source,
)

FIXTURES = Path(_ROOT) / "fixtures"
NATIONAL = FIXTURES / "kazstat-sdg-data"
CODES_CSV = FIXTURES / "ref_area_codes.csv"

# Files of the national set that repeat a key (same year + unit + region + disaggregations).
DUPLICATE_FILES = {
    "11-3-1", "11-6-2", "15-1-1", "15-2-1", "17-3-1-2", "17-3-1-3", "2-a-1", "3-3-1-1", "4-1-1",
    "5-5-2", "7-2-1", "8-3-1-1", "8-3-1", "8-6-1", "8-7-1", "9-1-2", "9-2-2", "9-c-1",
}
N_DUPLICATE_ROWS = 176


@pytest.fixture(scope="module")
def codes() -> CodeTable:
    return load_code_table(CODES_CSV)


@pytest.fixture(scope="module")
def national(codes):
    """The national set as an importer reads it: repeated keys keep their first row (warnings)."""
    return read_repository(NATIONAL, codes=codes, duplicates="first")


@pytest.fixture(scope="module")
def frame(national):
    return national.frame


def rows(frame, indicator, **where):
    out = frame[frame.indicator_id == indicator]
    for k, v in where.items():
        out = out[out[k] == v]
    return out


# ---------------------------------------------------------------------------------------------
# the national set


def test_national_set_reads_with_zero_errors(national, frame):
    assert len(national.files) == 273
    assert sum(f.n_rows for f in national.files) == 45_585
    assert national.errors == []
    assert all(f.ok for f in national.files)
    # every row is kept except the later copies of a repeated key
    assert len(frame) == 45_585 - N_DUPLICATE_ROWS
    assert sum(len(f.frame) for f in national.files) == len(frame)
    assert national.ignored == ["data/indicator_3-1-1.xlsx"]
    kinds = {w.reason.split(" (")[0] for w in national.warnings}
    assert kinds == {"duplicate key", "short row", "GeoCode disagrees with REF_AREA on 126 row(s)",
                     "GeoCode disagrees with REF_AREA on 18 row(s)"}
    assert {w.file for w in national.warnings if w.reason.startswith("duplicate key")} == {
        f"data/indicator_{i}.csv" for i in DUPLICATE_FILES
    }


def test_national_set_strict_duplicates_rejects_exactly_the_18_files(codes):
    strict = read_repository(NATIONAL, codes=codes, metadata=False)  # default: duplicates="error"
    assert {f.indicator_id for f in strict.files if not f.ok} == DUPLICATE_FILES
    assert len(strict.errors) == N_DUPLICATE_ROWS
    assert all(e.reason.startswith("duplicate key") for e in strict.errors)
    assert all(len(f.frame) == 0 for f in strict.files if not f.ok)
    e = next(e for e in strict.errors if e.file == "data/indicator_2-a-1.csv")
    assert str(e) == ("data/indicator_2-a-1.csv:13: duplicate key (year 2022, unit PT, national, totals) "
                      "first seen on line 12 (line 12: 0.6, line 13: 0.5; different values)")


def test_spot_values(frame):
    abai = rows(frame, "1-2-1", year=2023, region_code="KZABY")
    assert abai.value.tolist() == [8.0]
    assert abai.iloc[0][["region_kato", "territory", "level", "dims", "unit"]].tolist() == [
        "100000000", "2024", "region", "", "PT"]
    assert rows(frame, "1-2-1", year=2015, region_code="", dims="").value.tolist() == [2.6]
    assert rows(frame, "1-2-1", year=2015, region_code="", dims="SEX=F").value.tolist() == [2.6]
    assert rows(frame, "1-2-1", year=2015, region_code="", dims="URBANISATION=R").value.tolist() == [4.4]
    assert rows(frame, "7-1-2", year=2023, region_code="", dims="").value.tolist() == [60.0]
    one = rows(frame, "1-2-1")
    assert one.year.dtype == np.int64 and one.value.dtype == np.float64 and one.line.dtype == np.int64
    assert one.iloc[0][["year", "value", "line", "value_text"]].tolist() == [2010, 6.5, 2, "6.5"]


def test_short_rows_are_national_totals(national, frame):
    # 4-c-1-2: "2019,PT,32.8" under Year,UNIT_MEASURE,REF_AREA,Value -- a national row missing its empty cell
    totals = rows(frame, "4-c-1-2", region_code="")
    assert totals[["year", "value", "line"]].values.tolist() == [[2019, 32.8, 2], [2020, 41.0, 20], [2021, 55.9, 38],
                                                                  [2022, 60.7, 56]]
    f = national.file("4-c-1-2")
    assert [w.line for w in f.warnings] == [2, 20, 38, 56]
    shy = rows(frame, "8-6-1", line=1199)
    assert shy[["year", "region_code", "dims", "value"]].values.tolist() == [[2023, "KZSHY", "URBANISATION=U", 18.8]]


def test_trailing_blank_header_columns_and_bom_csv(national):
    for ind in ("1-4-2", "3-1-2", "3-7-2", "5-5-2"):
        f = national.file(ind)
        assert f.ok and len(f.frame) > 0
        assert f.layout["trailing_blank_columns"] >= 1
        assert "" not in f.columns and not any("header" in w.reason for w in f.warnings)
    f = national.file("5-5-2")  # starts with a UTF-8 BOM and uses CRLF
    assert f.layout["bom"] and f.layout["newline"] == "\r\n"
    assert f.columns == ["UNIT_MEASURE", "REF_AREA", "URBANISATION", "AGE"]


def test_padded_and_scientific_values(frame):
    assert rows(frame, "10-7-4", year=2019).value.tolist() == [14.6]  # " 14.6"
    assert rows(frame, "10-7-4", year=2019).value_text.tolist() == ["14.6"]
    sci = frame[(frame.indicator_id == "11-6-2") & (frame.value_text == "1e-05")]
    assert len(sci) == 1 and sci.value.iloc[0] == 1e-05


# ---------------------------------------------------------------------------------------------
# region codes


def _codes_in_national_csvs():
    found = set()
    for p in sorted((NATIONAL / "data").glob("indicator_*.csv")):
        with open(p, encoding="utf-8-sig", newline="") as fh:
            rd = csv.reader(fh)
            header = [h.strip() for h in next(rd)]
            idx = [header.index(c) for c in ("REF_AREA", "GeoCode") if c in header]
            for r in rd:
                found |= {r[i].strip() for i in idx if i < len(r)}
    return found - {""}


def test_code_table_covers_every_code_and_is_consistent(codes):
    found = _codes_in_national_csvs()
    numbers = {c for c in found if c.replace(".", "").isdigit()}
    assert numbers == {"32.8", "41.0", "55.9", "60.7"}  # the 4-c-1-2 short rows, read naively
    assert found - numbers <= set(codes.codes)
    table = pd.read_csv(CODES_CSV, dtype=str, keep_default_na=False)
    assert list(table.columns) == ["code", "region_kato", "level", "territory", "name_en", "note"]
    assert set(table.level) <= {"region", "city", "settlement", "other"}
    assert set(table.territory) <= {"2024", "pre2022", "pre2018", ""}
    # the 20 regions of 2024 agree with the crosswalk
    cw = pd.read_csv(FIXTURES / "kz_regions_crosswalk.csv", dtype=str)
    for ref, kato in zip(cw.kazstat_REF_AREA, cw.KATO):
        assert codes[ref]["region_kato"] == kato and codes[ref]["level"] == "region"
    assert {r: codes[r]["territory"] for r in ("KZVOS", "KZALM", "KZKAR", "KZONT", "KZABY")} == {
        "KZVOS": "pre2022", "KZALM": "pre2022", "KZKAR": "pre2022", "KZONT": "pre2018", "KZABY": "2024"}
    assert codes["KZONT"]["region_kato"] == "610000000"
    assert codes["KZKRG"]["region_kato"] == "350000000" and codes["KZKRG"]["level"] == "city"
    assert codes["KZBOR"]["region_kato"] == "110000000"
    # every REF_AREA code the platform translates is in the table
    en = (NATIONAL / "translations/en/REF_AREA.yml").read_text(encoding="utf-8-sig")
    listed = {line.split(":")[0] for line in en.splitlines() if line.startswith("KZ")}
    assert listed <= set(codes.codes)


def test_odd_codes_resolved(frame, codes):
    kzap = rows(frame, "8-3-1-1", REF_AREA="KZAP")
    assert set(kzap.region_code) == {"KZZAP"} and set(kzap.region_kato) == {"270000000"}
    assert sorted(kzap.year) == [2020, 2022, 2023] and set(kzap.dims) == {"AGE=Y_GE65"}
    air = rows(frame, "11-6-2")
    assert set(air[air.REF_AREA == "KZUKK"].region_code) == {"KZUSK"}
    assert set(air[air.REF_AREA == "KZDMB"].region_code) == {"KZTRZ"}
    assert set(air[air.REF_AREA == "KZAYB"].region_code) == {"KZARK"}
    assert set(air[air.REF_AREA == "KZLIS"].region_kato) == {"390000000"}
    aktau = air[air.REF_AREA == "KZAKT"]
    assert set(aktau.region_code) == {"KZAKT@11-6-2"} and set(aktau.region_kato) == {"470000000"}
    assert set(aktau.level) == {"city"}
    # context keys of the table are not codes a CSV may use; written back they become the raw code
    bad = read_indicator_text("Year,REF_AREA,Value\n2020,KZAKT@11-6-2,1\n", "11-6-2", codes=codes)
    assert [e.reason for e in bad.errors] == ["unknown region code 'KZAKT@11-6-2' in REF_AREA"]
    assert write_indicator_csv(aktau[["year", "value", "region_code"]].head(1)).splitlines()[1].split(",")[1] == "KZAKT"
    unknown_city = air[air.REF_AREA == "KZONT"]
    assert set(unknown_city.region_kato) == {""} and set(unknown_city.region_code) == {"KZONT@11-6-2"}
    # KZAKT means Aktobe region everywhere else
    assert set(rows(frame, "1-2-1", REF_AREA="KZAKT").region_kato) == {"150000000"}
    # 5-5-2: KZONT in 2020-2023 is North Kazakhstan, before 2018 the old South Kazakhstan
    ont = rows(frame, "5-5-2", REF_AREA="KZONT")
    assert set(ont[ont.year >= 2020].region_code) == {"KZSEV"}
    assert set(ont[ont.year < 2018].region_code) == {"KZONT"}
    assert set(ont[ont.year < 2018].territory) == {"pre2018"}
    # national rows: region_code '' <=> national
    assert set(frame[frame.region_code == ""].region_kato) == {""}


def test_territory_rule_by_code_and_year(frame):
    def terr(ind, year, code):
        return rows(frame, ind, year=year, region_code=code, dims="").territory.tolist()

    assert terr("1-2-1", 2015, "KZVOS") == ["pre2022"]  # no KZABY in 2015 -> old East Kazakhstan
    assert terr("1-2-1", 2023, "KZVOS") == ["2024"]
    assert terr("1-2-1", 2015, "KZONT") == ["pre2018"]
    assert terr("1-2-1", 2015, "KZYUZ") == ["2024"]  # KZSHY is reported for 2015 too: recalculated series
    assert terr("15-1-1", 2010, "KZYUZ") == ["pre2018"]  # no KZSHY: Turkistan still incl. Shymkent
    assert set(rows(frame, "17-3-1-3", year=2014, region_code="KZVOS").territory) == {"2024"}  # KZABY present
    assert terr("1-2-1", 2015, "KZAKM") == ["2024"]
    assert set(rows(frame, "11-6-2", REF_AREA="KZSEM").territory) == {"2024"}  # a city: where it lies today


# ---------------------------------------------------------------------------------------------
# round trip


def test_round_trip_every_file(national, codes):
    identical = []
    for f in national.files:
        text = write_like_source(f)
        again = read_indicator_text(text, f.indicator_id, path=f.path, codes=codes, duplicates="first")
        assert again.ok, again.errors[:3]
        pd.testing.assert_frame_equal(f.frame.drop(columns="line"), again.frame.drop(columns="line"), check_exact=True)
        if text.encode("utf-8") == (NATIONAL / f.path).read_bytes():
            identical.append(f.indicator_id)
    # The other 23: 18 lose their repeated rows, 4 had blanks around values (10-7-4, 5-5-2, 5-b-1,
    # 9-1-2), 3 blank lines (4-a-1, 8-5-1, 11-6-2), 2 short rows (4-c-1-2, 8-6-1); some overlap.
    assert len(identical) == 250


def test_writer_canonical_layout_and_value_text():
    frame = pd.DataFrame({
        "year": [2020, 2021, 2021],
        "value": [8.0, 0.1 + 0.2, 1e-05],
        "unit": ["PT", "PT", "PT"],
        "region_code": ["", "KZABY", "KZNS"],
        "dims": ["SEX=F", "", "AGE=Y15T24|SEX=M"],
    })
    # no raw columns: rebuilt from unit / region_code / dims, in the canonical order
    assert write_indicator_csv(frame) == ("Year,UNIT_MEASURE,SEX,AGE,REF_AREA,Value\n"
                                          "2020,PT,F,,,8\n"
                                          "2021,PT,,,KZABY,0.30000000000000004\n"
                                          "2021,PT,M,Y15T24,KZNS,1e-05\n")
    text = write_indicator_csv(frame, ["SEX", "AGE", "UNIT_MEASURE", "REF_AREA"])
    assert text == ("Year,SEX,AGE,UNIT_MEASURE,REF_AREA,Value\n"
                    "2020,F,,PT,,8\n"
                    "2021,,,PT,KZABY,0.30000000000000004\n"
                    "2021,M,Y15T24,PT,KZNS,1e-05\n")
    raw = frame.assign(SEX=["F", "", "M"], REF_AREA=["", "KZABY", "KZNS"], UNIT_MEASURE="PT",
                       value_text=["8.0", "0.30000000000000004", "0.00001"])
    # raw columns are used as they are; AGE, which only dims holds, is rebuilt from dims
    assert write_indicator_csv(raw).splitlines()[0] == "Year,UNIT_MEASURE,SEX,AGE,REF_AREA,Value"
    assert write_indicator_csv(raw).splitlines()[1] == "2020,PT,F,,,8.0"  # source text kept
    assert write_indicator_csv(raw).splitlines()[3] == "2021,PT,M,Y15T24,KZNS,0.00001"
    raw.loc[0, "value"] = 9.5  # edited value: the stale text is not used
    assert write_indicator_csv(raw).splitlines()[1] == "2020,PT,F,,,9.5"
    assert write_indicator_csv(raw, newline="\r\n", bom=True).startswith("\ufeffYear,")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=30))
def test_format_values_round_trips_exactly(values):
    text = format_values(values)
    back = [float(t) for t in text]
    assert all(a == b and math.copysign(1, a) == math.copysign(1, b) for a, b in zip(values, back))
    assert not any(t.endswith(".0") for t in text)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1990, 2030), st.sampled_from(["", "F", "M"]),
                          st.sampled_from(["", "KZABY", "KZNS", "KZKRG"]),
                          st.floats(allow_nan=False, allow_infinity=False, width=64)),
                min_size=0, max_size=25, unique_by=lambda t: t[:3]))
def test_write_read_round_trip_property(codes, data):
    frame = pd.DataFrame(data, columns=["Year", "SEX", "REF_AREA", "Value"])
    text = write_indicator_csv(frame, ["SEX", "REF_AREA"])
    f = read_indicator_text(text, "9-9-9", codes=codes)
    assert f.ok, f.errors
    assert f.frame.year.tolist() == frame.Year.tolist()
    assert f.frame.value.tolist() == frame.Value.tolist()
    assert f.frame.REF_AREA.tolist() == frame.REF_AREA.tolist()
    again = write_indicator_csv(f.frame, f.columns)
    assert again == text


# ---------------------------------------------------------------------------------------------
# bad files


GOOD = "Year,UNIT_MEASURE,SEX,REF_AREA,Value\n2020,PT,,,5.0\n2020,PT,F,,5.5\n2020,PT,,KZABY,6.0\n"


@pytest.fixture
def repo_with(tmp_path):
    """A small repository: two real national files and the real translations, plus given bad files."""

    def make(**bad: str) -> Path:
        root = tmp_path / "repo"
        (root / "data").mkdir(parents=True)
        for ind in ("1-2-1", "7-1-2"):
            shutil.copy(NATIONAL / f"data/indicator_{ind}.csv", root / f"data/indicator_{ind}.csv")
            for sub in ("meta", "indicator-config"):
                (root / sub).mkdir(exist_ok=True)
                shutil.copy(NATIONAL / f"{sub}/{ind}.yml", root / f"{sub}/{ind}.yml")
        shutil.copytree(NATIONAL / "translations", root / "translations")
        (root / "data/indicator_9-9-9.csv").write_text(GOOD, encoding="utf-8")
        for name, text in bad.items():
            (root / f"data/indicator_{name.replace('_', '-')}.csv").write_text(text, encoding="utf-8")
        return root

    return make


def check_only_bad_rejected(repo, bad_id, codes_needed=("1-2-1", "7-1-2", "9-9-9")):
    bad = repo.file(bad_id)
    assert not bad.ok and len(bad.frame) == 0
    assert all(e.file == f"data/indicator_{bad_id}.csv" for e in bad.errors)
    for ind in codes_needed:
        good = repo.file(ind)
        assert good.ok and len(good.frame) > 0
    assert rows(repo.frame, "1-2-1", year=2023, region_code="KZABY").value.tolist() == [8.0]
    return bad.errors


def test_unknown_column_is_learned_as_a_disaggregation(repo_with, codes):
    """Open SDG accepts any disaggregation column; so does the repository reader (an upload stays strict)."""
    repo = read_repository(repo_with(b_1="Year,COLOUR,Value\n2020,red,1\n2020,,2\n"), codes=codes)
    f = repo.file("b-1")
    assert f.ok and f.columns == ["COLOUR"] and f.frame.dims.tolist() == ["COLOUR=red", ""]
    upload = read_indicator_text("Year,COLOUR,Value\n2020,red,1\n", "b-1", codes=codes)
    assert [str(e) for e in upload.errors] == ["data/indicator_b-1.csv:1: unknown column 'COLOUR'"]


def test_column_declared_as_translation_group_is_allowed(repo_with, codes):
    root = repo_with()
    (root / "translations/en/DISABILITY.yml").write_text("PD: With disability\n", encoding="utf-8")
    (root / "data/indicator_b-1.csv").write_text("Year,DISABILITY,Value\n2020,PD,1\n2020,,2\n", encoding="utf-8")
    repo = read_repository(root, codes=codes)
    f = repo.file("b-1")
    assert f.ok and f.frame.dims.tolist() == ["DISABILITY=PD", ""]
    assert repo.label("DISABILITY", "PD", "en") == "With disability"


def test_missing_year_or_value(repo_with, codes):
    repo = read_repository(repo_with(b_1="Year,SEX\n2020,F\n", b_2="SEX,Value\nF,1\n"), codes=codes)
    assert [str(e) for e in repo.file("b-1").errors] == ["data/indicator_b-1.csv:1: missing column 'Value'"]
    assert [str(e) for e in repo.file("b-2").errors] == ["data/indicator_b-2.csv:1: missing column 'Year'"]
    check_only_bad_rejected(repo, "b-1")


def test_non_numeric_value(repo_with, codes):
    repo = read_repository(repo_with(b_1="Year,Value\n2019,1.5\n2020,n/a\n2021,2\n"), codes=codes)
    assert [str(e) for e in check_only_bad_rejected(repo, "b-1")] == [
        "data/indicator_b-1.csv:3: non-numeric value 'n/a'"]


def test_duplicate_key(repo_with, codes):
    text = "Year,SEX,REF_AREA,Value\n2020,F,KZABY,1\n2021,F,KZABY,2\n2020,F,KZABY,3\n2020,M,KZABY,4\n"
    root = repo_with(b_1=text)
    repo = read_repository(root, codes=codes)
    assert [str(e) for e in check_only_bad_rejected(repo, "b-1")] == [
        "data/indicator_b-1.csv:4: duplicate key (year 2020, region KZABY, SEX=F) first seen on line 2 "
        "(line 2: 1, line 4: 3; different values)"]
    lenient = read_repository(root, codes=codes, duplicates="first").file("b-1")
    assert lenient.ok and lenient.frame.value.tolist() == [1.0, 2.0, 4.0]
    assert [w.line for w in lenient.warnings] == [4]


def test_unknown_region_code(repo_with, codes):
    repo = read_repository(repo_with(b_1="Year,REF_AREA,Value\n2020,KZABY,1\n2020,KZXXX,2\n"), codes=codes)
    assert [str(e) for e in check_only_bad_rejected(repo, "b-1")] == [
        "data/indicator_b-1.csv:3: unknown region code 'KZXXX' in REF_AREA"]


def test_many_bad_rows_all_reported_with_physical_lines(repo_with, codes):
    text = (
        "Year,UNIT_MEASURE,REF_AREA,Value\n"   # 1
        "2020,PT,KZABY,1\n"                    # 2 ok
        "\n"                                   # 3 blank line: skipped, still counted
        "20x1,PT,KZABY,2\n"                    # 4 bad year
        "2021,PT,KZNOPE,3\n"                   # 5 unknown code
        "2022,PT,KZABY,abc\n"                  # 6 non-numeric
        "2023,PT,KZABY,inf\n"                  # 7 non-finite
        "2020,PT,KZABY,1.0\n"                  # 8 duplicate of line 2
        "2024,PT,KZABY,1,2,3\n"                # 9 too many fields
        ",PT,,4\n"                             # 10 empty year
        "2025,PT,KZABY,1_000\n"                # 11 float() would take it; we do not
        "2026,PT,KZABY,7\n"                    # 12 ok
        "0999,PT,KZABY,7\n"                    # 13 out of range
        "2015-16,PT,KZABY,7\n"                 # 14 not a year
    )
    repo = read_repository(repo_with(b_1=text), codes=codes)
    errors = check_only_bad_rejected(repo, "b-1")
    assert [(e.line, e.reason) for e in errors] == [
        (4, "bad year '20x1'"),
        (5, "unknown region code 'KZNOPE' in REF_AREA"),
        (6, "non-numeric value 'abc'"),
        (7, "non-finite value 'inf'"),
        (8, "duplicate key (year 2020, unit PT, region KZABY, totals) first seen on line 2 (line 2: 1, line 8: 1.0; same value)"),
        (9, "6 fields but the header has 4"),
        (10, "empty Year"),
        (11, "non-numeric value '1_000'"),
        (13, "bad year '0999'"),
        (14, "bad year '2015-16'"),
    ]
    assert repo.file("b-1").n_rows == 12  # 13 lines after the header, one blank
    assert isinstance(errors[0], RowError) and str(errors[0]) == "data/indicator_b-1.csv:4: bad year '20x1'"


def test_quoted_fields_keep_physical_line_numbers(codes):
    text = 'Year,SERIES,Value\n2020,"a, b",1\n2021,"multi\nline",2\n2022,x,oops\n'
    f = read_indicator_text(text, "b-1", codes=codes)
    assert [(e.line, e.reason) for e in f.errors] == [(5, "non-numeric value 'oops'")]
    f = read_indicator_text(text.replace("oops", "3"), "b-1", codes=codes)
    assert f.ok and f.frame.SERIES.tolist() == ["a, b", "multi\nline", "x"] and f.frame.line.tolist() == [2, 3, 5]
    assert read_indicator_text(write_indicator_csv(f.frame, f.columns), "b-1", codes=codes).frame.SERIES.tolist() == [
        "a, b", "multi\nline", "x"]


def test_data_in_blank_header_column_is_an_error(codes):
    f = read_indicator_text("Year,Value,\n2020,1,\n2021,2,oops\n", "b-1", codes=codes)
    assert [(e.line, e.reason) for e in f.errors] == [(3, "value 'oops' in a column without a header")]
    f = read_indicator_text("Year,Value,\n2020,1,\n2021,2\n", "b-1", codes=codes)
    assert f.ok and f.frame.value.tolist() == [1.0, 2.0] and f.warnings == []


def test_empty_value_is_skipped_with_a_warning(codes):
    f = read_indicator_text("Year,SEX,Value\n2020,F,\n2021,F,2\n", "b-1", codes=codes)
    assert f.ok and f.frame.year.tolist() == [2021]
    assert [(w.line, w.reason) for w in f.warnings] == [(2, "empty Value: row skipped (no observation)")]


def test_read_indicator_csv_on_a_path(codes):
    f = read_indicator_csv(NATIONAL / "data/indicator_1-2-1.csv", repo_root=NATIONAL, codes=codes)
    assert f.path == "data/indicator_1-2-1.csv" and f.indicator_id == "1-2-1" and f.ok
    assert f.columns == ["UNIT_MEASURE", "URBANISATION", "SEX", "REF_AREA"]
    assert len(f.frame) == f.n_rows == 311


def test_only_restricts_the_files(codes):
    repo = read_repository(NATIONAL, codes=codes, only={"1-2-1", "7-1-2"})
    assert [f.indicator_id for f in repo.files] == ["1-2-1", "7-1-2"]
    assert set(repo.meta) == {"1-2-1", "7-1-2"}


# ---------------------------------------------------------------------------------------------
# metadata and translations


def test_titles_units_labels_for_1_2_1(national):
    assert national.titles("1-2-1") == {
        "kk": "Күнкөрістің ең төменгі мөлшерінен төмен табысы бар халық үлесі",
        "ru": "Доля населения, имеющего доходы ниже величины прожиточного минимума",
        "en": "Proportion of population living below the minimum subsistence level",
    }
    glob = national.titles("1-2-1", kind="global")
    assert glob["en"] == "Proportion of population living below the national poverty line, by sex and age"
    assert glob["ru"].startswith("Доля населения страны, живущего за официальной чертой бедности")
    assert glob["kk"].startswith("Жынысы және жасы бойынша")
    assert national.unit("1-2-1") == {"kk": "пайыз", "ru": "процент", "en": "Percent"}
    assert [national.label("SEX", "F", lang) for lang in ("kk", "ru", "en")] == ["әйелдер", "женщины", "Female"]
    assert national.label("SEX", "M", "en") == "Male"
    assert national.label("REF_AREA", "KZABY", "en") == "Abai"
    assert national.label("SEX", "NOPE", "en") == "NOPE"
    assert national.translate("meta.Казахстан", "en") != "meta.Казахстан"


def test_meta_merges_meta_and_config_and_handles_bom(national, tmp_path):
    # indicator-config/1-2-1.yml starts with a UTF-8 BOM
    assert (NATIONAL / "indicator-config/1-2-1.yml").read_bytes().startswith(b"\xef\xbb\xbf")
    m = national.meta["1-2-1"]
    assert m["composite_breakdown_label"] == "" and not any(k.startswith("\ufeff") for k in m)
    assert m["computation_units"] == "UNIT_MEASURE.PT"  # from indicator-config
    assert m["un_custodian_agency"] == "World Bank (WB)"  # from meta
    assert len(national.meta) == 277
    # a BOM translation file
    root = tmp_path / "r"
    (root / "translations/en").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "translations/en/SEX.yml").write_bytes(b"\xef\xbb\xbfF: Female\nM: Male\n")
    (root / "meta").mkdir()
    (root / "meta/1-1-1.yml").write_bytes("\ufeffindicator_name: x\n".encode())
    (root / "meta/1-1-2.yml").write_text("a: [unclosed\n", encoding="utf-8")
    repo = read_repository(root)
    assert repo.label("SEX", "F", "en") == "Female"
    assert repo.meta["1-1-1"] == {"indicator_name": "x"}
    assert [(e.file, e.line) for e in repo.errors] == [("meta/1-1-2.yml", 2)]


def test_code_table_rejects_inconsistent_rows(tmp_path):
    bad = tmp_path / "codes.csv"
    bad.write_text("code,region_kato,level,territory,name_en,note\n"
                   "KZAAA,110000000,region,2024,A,\n"
                   "KZBBB,120000000,region,2024,B,alias of KZAAA\n", encoding="utf-8")
    with pytest.raises(ValueError, match="disagrees"):
        load_code_table(bad)
    bad.write_text("code,region_kato,level,territory,name_en,note\nKZAAA,1100,town,2024,A,\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad level"):
        load_code_table(bad)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["2020", "20x0", "", " 1.5 ", "1e3", "nan", "KZABY", "KZ??", "F", '"a,b"',
                                          "٣", "\u00a0", "PT"]), min_size=0, max_size=6), max_size=8),
       st.sampled_from(["\n", "\r\n"]))
def test_reader_never_crashes_and_errors_reject(codes, cells, newline):
    text = newline.join(["Year,SEX,REF_AREA,Value"] + [",".join(r) for r in cells]) + newline
    f = read_indicator_text(text, "9-9-9", codes=codes)
    assert all(isinstance(e, RowError) and e.line >= 0 for e in f.errors + f.warnings)
    if f.errors:
        assert len(f.frame) == 0
    else:
        assert f.frame.value.map(math.isfinite).all() and f.frame.year.between(1900, 2100).all()
