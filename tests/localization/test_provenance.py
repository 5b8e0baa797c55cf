"""Tests for localization.core.provenance: the reader of directions.csv / targets.csv and the shipped fixtures."""
import csv
import io
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from localization.core.provenance import (  # noqa: E402
    DIRECTION_COLUMNS,
    DIRECTIONS_CSV,
    TARGET_COLUMNS,
    TARGETS_CSV,
    DirectionRow,
    ProvenanceError,
    TargetRow,
    direction_map,
    read_directions,
    read_targets,
    write_csv,
)

D_HEADER = ",".join(DIRECTION_COLUMNS)
T_HEADER = ",".join(TARGET_COLUMNS)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(call, *args, **kwargs) -> list[str]:
    with pytest.raises(ProvenanceError) as info:
        call(*args, **kwargs)
    return info.value.errors


# --------------------------------------------------------------------------- worked examples: directions


def test_directions_worked_example(tmp_path):
    path = write(tmp_path, "d.csv", "\n".join([
        D_HEADER,
        '1-2-1,lower,statcan,"Statistics Canada, 1.2.1: negative",Share below the subsistence minimum (%),',
        '17-3-1-3,higher,target_text,"SDG target 17.3: ""Mobilize additional financial resources""",FDI inflow (million USD),national sub-indicator',
        "",  # a blank line is not a row
        "1-3-1,none,decision,Aimaq decision,Number of recipients of pensions (persons),a count: more is neither better nor worse",
        "5-1-1,binary,statcan,\"Statistics Canada, 5.1.1: binary\",\"Legal frameworks\nin place (yes/no)\",",
        "1-5-1,lower,statcan,x,y,",
    ]) + "\n")
    rows = read_directions(path)
    assert [r.code for r in rows] == ["1-2-1", "17-3-1-3", "1-3-1", "5-1-1", "1-5-1"]
    assert [r.line for r in rows] == [2, 3, 5, 6, 8]  # the quoted field spans lines 6-7
    assert rows[0] == DirectionRow("1-2-1", "lower", "statcan", "Statistics Canada, 1.2.1: negative",
                                   "Share below the subsistence minimum (%)", "", 2)
    assert rows[1].source == 'SDG target 17.3: "Mobilize additional financial resources"'
    assert rows[2].direction == "none" and rows[2].source_kind == "decision"
    assert rows[3].checked_against == "Legal frameworks\nin place (yes/no)"
    assert direction_map(rows) == {"1-2-1": "lower", "17-3-1-3": "higher", "1-3-1": "none", "5-1-1": "binary",
                                   "1-5-1": "lower"}


def test_directions_every_bad_row_is_reported_and_nothing_returned(tmp_path):
    path = write(tmp_path, "d.csv", "\n".join([
        D_HEADER,
        "1-2-1,lower,statcan,src,checked,",            # 2 good
        "1-2-1,higher,statcan,src,checked,",           # 3 duplicate
        "1-3-1,up,statcan,src,checked,",               # 4 unknown direction
        "1-4-1,higher,guess,src,checked,",             # 5 unknown kind
        "1-4-2,higher,statcan,,checked,",              # 6 empty source
        "1-5-1,lower,statcan,src,,",                   # 7 empty checked_against
        "1-5-2,none,statcan,src,checked,reason",       # 8 none must be a decision
        "1-5-3,lower,decision,src,checked,reason",     # 9 decision only for none
        "1-5-4,none,decision,src,checked,",            # 10 decision without a reason
        "1.2.2,lower,statcan,src,checked,",            # 11 not a national code
        "1-a-1,lower,statcan,src",                     # 12 short row
        " 1-a-2,lower,statcan,src,checked,",           # 13 code with a space
    ]) + "\n")
    errors = errors_of(read_directions, path)
    lines = sorted({int(e.split(":")[1]) for e in errors})
    assert lines == list(range(3, 14))
    assert all(e.startswith(f"{path}:") for e in errors)
    text = "\n".join(errors)
    for fragment in ("duplicate code 1-2-1 (first on line 2)", "unknown direction 'up'", "unknown source_kind 'guess'",
                     ":6: source is empty", ":7: checked_against is empty", "direction none needs source_kind decision",
                     "source_kind decision is only for direction none", ":10: a decision needs its reason in note",
                     "'1.2.2' is not a national indicator code", ":12: expected 6 fields, got 4", "' 1-a-2'"):
        assert fragment in text, fragment


def test_directions_bad_header_and_missing_file(tmp_path):
    path = write(tmp_path, "d.csv", "code,direction,source\n1-2-1,lower,x\n")
    assert errors_of(read_directions, path) == [
        f"{path}:1: the header must be exactly {D_HEADER}; got code,direction,source"]
    missing = tmp_path / "nope.csv"
    [error] = errors_of(read_directions, missing)
    assert error.startswith(f"{missing}:0: cannot read the file")
    assert errors_of(read_directions, write(tmp_path, "e.csv", "")) == [f"{tmp_path / 'e.csv'}:1: empty file (the header must be {D_HEADER})"]


def test_shipped_path_is_reported_relative_to_the_repository():
    assert DIRECTIONS_CSV == Path(_ROOT) / "fixtures" / "progress" / "directions.csv"
    assert TARGETS_CSV == Path(_ROOT) / "fixtures" / "progress" / "targets.csv"


# --------------------------------------------------------------------------- worked examples: targets


def test_targets_worked_example(tmp_path):
    path = write(tmp_path, "t.csv", "\n".join([
        T_HEADER,
        '1-2-1,national,<=,5.0,2030,5.2,2023,%,share below the subsistence minimum,"UN CF 2026–2030, results matrix",004.txt:858,',
        '3-1-1,global,<,70,2030,,,per 100000 live births,maternal mortality ratio,"SDG target 3.1: ""less than 70""",3-1-title,',
        "7-2-1,national,>=,1e1,2030,2.3,2015,%,renewables share,CF,004.txt:1100,note",
    ]) + "\n")
    directions = {"1-2-1": "lower", "3-1-1": "lower", "7-2-1": "higher"}
    rows = read_targets(path, directions=directions)
    assert rows[0] == TargetRow("1-2-1", "national", "<=", 5.0, 2030, 5.2, 2023, "%",
                                "share below the subsistence minimum", "UN CF 2026–2030, results matrix",
                                "004.txt:858", "", 2)
    assert (rows[1].baseline_value, rows[1].baseline_year, rows[1].source) == (None, None, 'SDG target 3.1: "less than 70"')
    assert (rows[2].target_value, rows[2].line) == (10.0, 4)


def test_targets_every_bad_row_is_reported(tmp_path):
    path = write(tmp_path, "t.csv", "\n".join([
        T_HEADER,
        "1-2-1,national,<=,5,2030,5.2,2023,%,s,src,ref,",        # 2 good
        "1-2-1,national,<=,4,2030,5.2,2023,%,s,src,ref,",        # 3 duplicate (same code, kind, series)
        "3-1-1,local,<,70,2030,,,u,s,src,ref,",                  # 4 unknown kind
        "3-2-1,global,≤,25,2030,,,u,s,src,ref,",                 # 5 unknown comparison
        "3-2-2,global,<=,twelve,2030,,,u,s,src,ref,",            # 6 not a number
        "3-2-2,global,<=,12,30,,,u,s2,src,ref,",                 # 7 not a year
        "7-2-1,national,>=,10,2030,2.3,,%,s,src,ref,",           # 8 baseline without year
        "7-2-1,national,>=,10,2030,2.3,2031,%,s3,src,ref,",      # 9 baseline after target
        "5-5-1,national,>=,101,2030,,,%,s,src,ref,",             # 10 percentage above 100
        "1-2-1,global,<=,6,2030,5.2,2023,%,s,src,ref,",          # 11 worsening side of the baseline
        "6-1-1,global,>=,100,2030,,,%,s,,ref,",                  # 12 empty source
        "6-1-1,national,>=,100,2030,,,%,s,src,,",                # 13 empty source_ref
        "6-2-1,global,>=,nan,2030,,,%,s,src,ref,",               # 14 NaN
        "3-2-1,global,>=,25,2030,,,u,s,src,ref,",                # 15 contradicts direction lower
        "1-3-1,global,>=,1,2030,,,u,s,src,ref,",                 # 16 direction none takes no target
        "9-9-9,global,>=,1,2030,,,u,s,src,ref,",                 # 17 global target on an unknown indicator
        "1-5-3,global,=,1,2030,,,yes/no,s,src,ref,",             # 18 '=' needs binary, 1-5-3 is higher
    ]) + "\n")
    directions = {"1-2-1": "lower", "3-2-1": "lower", "3-2-2": "lower", "7-2-1": "higher", "5-5-1": "higher",
                  "6-1-1": "higher", "6-2-1": "higher", "1-3-1": "none", "1-5-3": "higher", "3-1-1": "lower"}
    errors = errors_of(read_targets, path, directions=directions)
    lines = sorted({int(e.split(":")[1]) for e in errors})
    assert lines == list(range(3, 19))
    text = "\n".join(errors)
    for fragment in (":3: duplicate target for 1-2-1", "unknown kind 'local'", "unknown comparison '≤'",
                     "target_value 'twelve' is not a number", "target_year '30' is not a year",
                     ":8: baseline_year '' is not a year", "baseline_year 2031 is not before target_year 2030",
                     "target_value 101 is outside 0–100", ":11: target <= 6 lies on the worsening side of its baseline 5.2",
                     ":12: source is empty", ":13: source_ref is empty", "target_value 'nan' is not a number",
                     "comparison >= contradicts the direction of 3-2-1 (lower)", "1-3-1 has direction none",
                     "9-9-9 has no direction row", "comparison = contradicts the direction of 1-5-3 (higher)"):
        assert fragment in text, fragment


def test_targets_without_directions_skip_the_direction_check_but_not_the_rest(tmp_path):
    path = write(tmp_path, "t.csv", T_HEADER + "\n3-2-1,global,>=,25,2030,,,u,s,src,ref,\n")
    assert len(read_targets(path)) == 1
    assert "contradicts" in errors_of(read_targets, path, directions={"3-2-1": "lower"})[0]
    # a national matrix indicator without a national counterpart is allowed
    path = write(tmp_path, "n.csv", T_HEADER + "\n16-6-2,national,>=,80,2030,70,2023,%,s,src,ref,no national counterpart\n")
    assert read_targets(path, directions={})[0].code == "16-6-2"


# --------------------------------------------------------------------------- hypothesis: round trip and corruption

_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30).map(str.strip)
_required = _text.filter(bool)
_codes = st.builds(
    lambda g, t, i, sub: f"{g}-{t}-{i}" + "".join(f"-{s}" for s in sub),
    st.integers(1, 17), st.one_of(st.integers(1, 19).map(str), st.sampled_from("abcdefg")),
    st.integers(1, 12), st.lists(st.integers(0, 20), max_size=2))


@st.composite
def direction_rows(draw):
    codes = draw(st.lists(_codes, min_size=1, max_size=8, unique=True))
    rows = []
    for code in codes:
        direction = draw(st.sampled_from(["higher", "lower", "binary", "none"]))
        kind = "decision" if direction == "none" else draw(st.sampled_from(["statcan", "target_text"]))
        note = draw(_required) if kind == "decision" else draw(_text)
        rows.append({"code": code, "direction": direction, "source_kind": kind, "source": draw(_required),
                     "checked_against": draw(_required), "note": note})
    return rows


@st.composite
def target_rows(draw):
    directions = {}
    rows = []
    for code in draw(st.lists(_codes, min_size=1, max_size=6, unique=True)):
        comparison = draw(st.sampled_from(["<", "<=", ">=", ">", "="]))
        directions[code] = {"<": "lower", "<=": "lower", ">": "higher", ">=": "higher", "=": "binary"}[comparison]
        unit = draw(st.sampled_from(["%", "per 1000 live births", "persons"]))
        hi = 100.0 if unit == "%" else 1e9
        value = draw(st.floats(0, hi, allow_nan=False))
        year = draw(st.integers(2000, 2100))
        baseline = None
        if draw(st.booleans()) and year > 1990:
            if comparison in ("<", "<="):
                base_value = draw(st.floats(value, hi, allow_nan=False))
            elif comparison in (">", ">="):
                base_value = draw(st.floats(0, value, allow_nan=False))
            else:
                base_value = draw(st.floats(0, hi, allow_nan=False))
            baseline = (base_value, draw(st.integers(1990, year - 1)))
        rows.append({"code": code, "kind": draw(st.sampled_from(["national", "global"])), "comparison": comparison,
                     "target_value": value, "target_year": year,
                     "baseline_value": baseline[0] if baseline else None, "baseline_year": baseline[1] if baseline else None,
                     "unit": unit, "series": draw(_text), "source": draw(_required), "source_ref": draw(_required),
                     "note": draw(_text)})
    return rows, directions


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=direction_rows())
def test_directions_round_trip(tmp_path, rows):
    path = tmp_path / "d.csv"
    write_csv(path, rows, DIRECTION_COLUMNS)
    read = read_directions(path)
    assert [{c: getattr(r, c) for c in DIRECTION_COLUMNS} for r in read] == rows
    # lines match the physical lines where each record starts
    physical = path.read_text(encoding="utf-8").split("\n")
    for r in read:
        assert physical[r.line - 1].startswith((r.code, f'"{r.code}'))


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=target_rows())
def test_targets_round_trip(tmp_path, data):
    rows, directions = data
    path = tmp_path / "t.csv"
    write_csv(path, rows, TARGET_COLUMNS)
    read = read_targets(path, directions=directions)
    assert [{c: getattr(r, c) for c in TARGET_COLUMNS} for r in read] == rows


_DIRECTION_CORRUPTIONS = {
    "direction": ["up", "", "Higher", "better"],
    "source_kind": ["", "guess", "StatCan"],
    "source": ["", "  "],
    "checked_against": [""],
    "code": ["", "1.2.1", "18-1-1", "x"],
}


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=direction_rows(), data=st.data())
def test_directions_corrupted_row_always_rejected(tmp_path, rows, data):
    index = data.draw(st.integers(0, len(rows) - 1))
    column = data.draw(st.sampled_from(sorted(_DIRECTION_CORRUPTIONS)))
    rows[index][column] = data.draw(st.sampled_from(_DIRECTION_CORRUPTIONS[column]))
    path = tmp_path / "d.csv"
    write_csv(path, rows, DIRECTION_COLUMNS)
    errors = errors_of(read_directions, path)
    line = 2 + sum(1 + rows[i]["source"].count("\n") for i in range(index))  # no newlines are generated
    assert any(e.startswith(f"{path}:{line}: ") for e in errors), (errors, line)


_TARGET_CORRUPTIONS = {
    "kind": ["", "regional"],
    "comparison": ["", "≤", "=<", "<<"],
    "target_value": ["", "n/a", "inf", "nan", "5,0"],
    "target_year": ["", "30", "2030.0", "3000"],
    "source": [""],
    "source_ref": [""],
    "unit": [""],
}


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=target_rows(), draw=st.data())
def test_targets_corrupted_row_always_rejected(tmp_path, data, draw):
    rows, directions = data
    index = draw.draw(st.integers(0, len(rows) - 1))
    column = draw.draw(st.sampled_from(sorted(_TARGET_CORRUPTIONS) + ["flip"]))
    if column == "flip":  # a comparison contradicting the direction
        flip = {"lower": ">=", "higher": "<=", "binary": "<"}
        rows[index]["comparison"] = flip[directions[rows[index]["code"]]]
    else:
        rows[index][column] = draw.draw(st.sampled_from(_TARGET_CORRUPTIONS[column]))
    path = tmp_path / "t.csv"
    write_csv(path, rows, TARGET_COLUMNS)
    errors = errors_of(read_targets, path, directions=directions)
    assert any(e.startswith(f"{path}:{index + 2}: ") for e in errors), (errors, index)


# --------------------------------------------------------------------------- the shipped fixtures


def test_shipped_files_read():
    directions = read_directions()
    targets = read_targets(directions=direction_map(directions))
    assert directions and targets
