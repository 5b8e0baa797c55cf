"""Tests for localization.core.provenance: the reader of directions.csv / targets.csv and the shipped fixtures."""
import csv
import re
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
        "1-2-1,global,<=,6,2030,5.2,2023,%,s2,src,ref,Other series: x",  # 11 only national rows may be other
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
                     "target_value 101 is outside 0–100", ":11: only a national target can be marked 'Other series:'",
                     ":12: source is empty", ":13: source_ref is empty", "target_value 'nan' is not a number",
                     "comparison >= contradicts the direction of 3-2-1 (lower)", "1-3-1 has direction none",
                     "9-9-9 has no direction row", "comparison = contradicts the direction of 1-5-3 (higher)"):
        assert fragment in text, fragment


def test_targets_without_directions_skip_the_direction_check_but_not_the_rest(tmp_path):
    path = write(tmp_path, "t.csv", T_HEADER + "\n3-2-1,global,>=,25,2030,,,u,s,src,ref,\n")
    assert len(read_targets(path)) == 1
    assert "contradicts" in errors_of(read_targets, path, directions={"3-2-1": "lower"})[0]


def test_national_targets_on_another_series(tmp_path):
    # A matrix target set on another series is kept, marked, and exempt from the headline direction check ...
    path = write(tmp_path, "n.csv", "\n".join([
        T_HEADER,
        "13-2-2,national,<=,324.4,2030,345.8,2023,Mt,GHG,CF,004.txt:1161,Other series: no national counterpart",
        "8-5-1,national,<=,20.7,2030,25.7,2023,%,pay gap,CF,004.txt:1027,Other series: the platform's 8-5-1 is earnings",
        "5-4-1,national,>=,8,2030,5.9,2018,%,men,CF,004.txt:1010,Other series: the men's series",
        "1-2-1,national,<=,5,2030,5.2,2023,%,total,CF,004.txt:858,",
    ]) + "\n")
    rows = read_targets(path, directions={"8-5-1": "higher", "5-4-1": "none", "1-2-1": "lower"})
    assert [r.other_series for r in rows] == [True, True, True, False]
    # ... but without the mark the same rows are errors.
    unmarked = path.read_text(encoding="utf-8").replace("Other series: ", "")
    errors = errors_of(read_targets, write(tmp_path, "u.csv", unmarked),
                       directions={"8-5-1": "higher", "5-4-1": "none", "1-2-1": "lower"})
    assert [e.split(": ", 1)[1] for e in errors] == [
        "13-2-2 has no direction row (a target on another series starts its note with 'Other series:')",
        "comparison <= contradicts the direction of 8-5-1 (higher)",
        "5-4-1 has direction none, so it takes no target",
    ]


def test_a_target_already_passed_is_recorded_not_refused(tmp_path):
    # The file records what the source says; refusing a target on the worsening side is the engine's job.
    path = write(tmp_path, "t.csv", T_HEADER + "\n8-3-1-1,national,<=,1.9,2030,1.7,2023,%,s,CF,004.txt:1013,\n")
    [row] = read_targets(path, directions={"8-3-1-1": "lower"})
    assert (row.target_value, row.baseline_value) == (1.9, 1.7)


# --------------------------------------------------------------------------- hypothesis: round trip and corruption

_text = (st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30).map(str.strip)
         .filter(lambda text: not text.startswith("Other series:")))
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


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
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


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
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


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
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


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
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




# --------------------------------------------------------------------------- the shipped data, checked against its sources

FIXTURES = Path(_ROOT) / "fixtures"
STATCAN = FIXTURES / "progress" / "statcan_indicator_progress_direction.yml"
SDG_TARGETS = FIXTURES / "sdg-translations" / "en" / "global_targets.yml"
CF_FACTS = FIXTURES / "seed-facts" / "cf_results_framework.csv"
SEED = "004_a471b3897bac7629.txt"


def _yaml(path):
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def directions():
    return read_directions()


@pytest.fixture(scope="module")
def targets(directions):
    return read_targets(directions=direction_map(directions))


def test_every_national_indicator_has_exactly_one_direction(directions):
    published = {p.name[len("indicator_"):-len(".csv")]
                 for p in (FIXTURES / "kazstat-sdg-data" / "data").glob("indicator_*.csv")}
    codes = [row.code for row in directions]
    assert len(published) == 273
    assert sorted(codes) == sorted(published)  # one row each, none for an unknown indicator
    assert all(row.source.strip() and row.checked_against.strip() for row in directions)


def test_statcan_rows_agree_with_the_copied_table(directions):
    table = _yaml(STATCAN)
    assert len(table) == 175 and set(table.values()) == {"positive", "negative", "binary"}
    statcan = [row for row in directions if row.source_kind == "statcan"]
    assert len(statcan) > 100
    for row in statcan:
        match = re.search(r"(\d+\.[0-9a-z]+\.\d+): (positive|negative|binary)$", row.source)
        assert match, row
        code, value = match.groups()
        assert table[code.replace(".", "-")] == value, row
        assert {"positive": "higher", "negative": "lower", "binary": "binary"}[value] == row.direction, row
        # StatCan speaks of the global indicator the national one belongs to, unless the note explains another.
        if code.replace(".", "-") != "-".join(row.code.split("-")[:3]):
            assert row.note, row


def test_target_text_rows_quote_the_cited_target(directions):
    texts = _yaml(SDG_TARGETS)
    rows = [row for row in directions if row.source_kind == "target_text"]
    assert rows
    for row in rows:
        match = re.fullmatch(r'SDG target (\d+\.[0-9a-z]+): "(.+)"', row.source)
        assert match, row
        text = texts[match[1].replace(".", "-") + "-title"]
        for fragment in match[2].split(" … "):
            assert fragment in text, (row.code, fragment)
        assert row.direction in {"higher", "lower", "binary"}


def test_overrides_of_statcan_say_why(directions):
    table = _yaml(STATCAN)
    for row in directions:
        g3 = "-".join(row.code.split("-")[:3])
        if row.source_kind != "statcan" and g3 in table and row.code == g3:
            assert row.note, f"{row.code} departs from StatCan ({table[g3]}) without a reason"
    by_code = {row.code: row for row in directions}
    # Worked cases: the national definition, not the global one, decides.
    assert by_code["6-4-1"].direction == "lower"  # m³ of water per thousand tenge: intensity, not efficiency
    assert by_code["11-3-1"].direction == "higher"  # housing m² per person (StatCan 11.3.1 is negative)
    assert by_code["15-7-1"].direction == "higher"  # number of rare hoofed animals (StatCan 15.7.1 is negative)
    assert by_code["16-6-1"].direction == "none"  # budget execution: 100 % is ideal
    assert by_code["4-5-1"].direction == "none"  # parity index: 1 is ideal
    assert by_code["17-3-1-3"].direction == "higher" and by_code["17-3-1-3"].source_kind == "target_text"
    assert by_code["1-2-1"].direction == "lower" and by_code["1-2-1"].source_kind == "statcan"


def test_decisions_are_only_for_none_with_a_reason(directions):
    for row in directions:
        assert (row.source_kind == "decision") == (row.direction == "none"), row
        if row.direction == "none":
            assert len(row.note) > 40, row


def test_every_target_agrees_with_its_direction(directions, targets):
    by_code = direction_map(directions)
    need = {"<": "lower", "<=": "lower", ">": "higher", ">=": "higher", "=": "binary"}
    for target in targets:
        if target.other_series:
            assert target.kind == "national" and target.note
            continue
        assert by_code[target.code] == need[target.comparison], target


MATRIX = {  # code -> source lines of its rows in the results matrix
    "1-2-1": {858, 863}, "1-3-1": {864}, "1-5-1": {1152, 1153, 1154, 1155}, "2-1-2": {867, 868}, "2-3-1": {1009},
    "2-4-1": {1156}, "2-4-1-1": {1157}, "3-2-1": {869}, "3-7-1": {874}, "4-1-1": {888, 892, 896, 900},
    "5-1-1": {1224}, "5-4-1": {1010, 1011}, "5-5-1": {1225, 1226}, "6-5-1": {1158}, "7-2-1": {1159},
    "8-2-1": {1012}, "8-3-1-1": {1013}, "8-5-1": {1027}, "8-6-1": {1028}, "9-2-1": {1034}, "11-6-1": {1160},
    "13-2-2": {1161}, "15-1-1": {1162}, "15-1-2": {1167}, "16-1-4": {1227}, "16-3-3-2": {1243, 1249, 1253},
    "16-5-1": {1239}, "16-6-2": {927},
}


def test_national_targets_are_the_results_matrix(targets):
    national = [t for t in targets if t.kind == "national"]
    lines: dict[str, set] = {}
    for t in national:
        assert t.source.startswith("UN Sustainable Development Cooperation Framework Kazakhstan 2026–2030")
        match = re.fullmatch(SEED + r":(\d+)(?:-\d+)?", t.source_ref)
        assert match, t
        lines.setdefault(t.code, set()).add(int(match[1]))
    assert lines == MATRIX
    with open(CF_FACTS, encoding="utf-8", newline="") as fh:
        facts = {}
        for r in csv.DictReader(fh):
            facts.setdefault(int(r["line"]), []).append(r)

    def shown(value, cell):
        cells = {cell.replace(",", ".").replace(" ", ""), cell.replace(",", "").replace(" ", "")}
        return any(form in c for form in {f"{value:g}", f"{value:.1f}", f"{value:.2f}"} for c in cells)

    for t in national:
        first, _, last = t.source_ref.partition(":")[2].partition("-")
        rows = [r for line in range(int(first), int(last or first) + 1) for r in facts.get(line, [])]
        assert any(shown(t.target_value, r["target_raw"]) for r in rows), t
        if t.baseline_value is not None:
            assert any(shown(t.baseline_value, r["baseline_raw"] + " " + r["latest_raw"]) for r in rows), t
    by_key = {(t.code, t.series): t for t in national}
    poverty = by_key["1-2-1", "share of the population with incomes below the subsistence minimum (total)"]
    assert (poverty.comparison, poverty.target_value, poverty.target_year) == ("<=", 5.0, 2030)
    assert (poverty.baseline_value, poverty.baseline_year, poverty.unit) == (5.2, 2023, "%")
    assert poverty.source_ref == SEED + ":858" and not poverty.other_series


def test_targets_already_passed_at_their_baseline_are_the_known_two(targets):
    need = {"<": "lower", "<=": "lower", ">": "higher", ">=": "higher"}
    passed = sorted(t.code for t in targets if t.baseline_value is not None and t.comparison in need
                    and (t.target_value > t.baseline_value if need[t.comparison] == "lower"
                         else t.target_value < t.baseline_value))
    assert passed == ["16-6-2", "8-3-1-1"]  # as written in the matrix; both notes say so
    for t in targets:
        if t.code in passed:
            assert "target" in t.note


def test_global_targets_quote_the_sdg_target(targets):
    texts = _yaml(SDG_TARGETS)
    glob = {t.code: t for t in targets if t.kind == "global"}
    assert (glob["3-1-1"].comparison, glob["3-1-1"].target_value, glob["3-1-1"].target_year) == ("<", 70.0, 2030)
    assert (glob["3-2-1"].comparison, glob["3-2-1"].target_value) == ("<=", 25.0)
    assert (glob["3-2-2"].comparison, glob["3-2-2"].target_value) == ("<=", 12.0)
    assert glob["3-1-1"].unit == "per 100,000 live births" and glob["3-2-1"].unit == "per 1,000 live births"
    for t in glob.values():
        match = re.fullmatch(r'SDG target (\d+\.[0-9a-z]+): "(.+)"', t.source)
        assert match, t
        key = match[1].replace(".", "-") + "-title"
        assert t.source_ref == f"fixtures/sdg-translations/en/global_targets.yml: {key}"
        assert match[2] in texts[key], t
        assert t.baseline_value is None
        # a figure the text states: the number itself, or 0 for end/eradicate/eliminate, 100 for all/universal
        words = match[2].lower()
        if t.target_value == 0:
            assert any(w in words for w in ("end ", "eradicate", "eliminate")), t
        elif t.target_value == 100:
            assert any(w in words for w in ("all", "universal")), t
        else:
            assert f"{t.target_value:g}" in words, t


def _load(name):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, FIXTURES / "progress" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name, shipped, columns", [
    ("build_directions", DIRECTIONS_CSV, DIRECTION_COLUMNS),
    ("build_targets", TARGETS_CSV, TARGET_COLUMNS),
])
def test_shipped_files_are_what_the_build_scripts_make(tmp_path, name, shipped, columns):
    out = tmp_path / "out.csv"
    write_csv(out, _load(name).build(), columns)
    assert out.read_text(encoding="utf-8") == shipped.read_text(encoding="utf-8")


def test_bom_and_windows_line_ends_read_the_same(tmp_path):
    text = "\r\n".join([D_HEADER, "1-2-1,lower,statcan,src,checked,", "", "3-2-1,lower,statcan,src,checked,"]) + "\r\n"
    path = tmp_path / "d.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert [(r.code, r.line, r.note) for r in read_directions(path)] == [("1-2-1", 2, ""), ("3-2-1", 4, "")]
