"""The pabulib ``.pb`` file format (https://pabulib.org/format): read, write, hash.

A file has three sections, each a semicolon-separated table with a header line::

    META            key;value rows (description, country, unit, budget, vote_type, ...)
    PROJECTS        project_id;cost;... one row per project
    VOTES           voter_id;vote;... one row per ballot (vote = comma-separated ids)

Fields follow CSV quoting rules (a field may contain ``;`` when quoted). Reading
accepts LF or CRLF line endings and a UTF-8 byte-order mark; every error names the
line (``PabulibError("line 12: ...")``). Writing is deterministic (LF endings,
fixed column and row order), so the SHA-256 of a written file can be published
and recomputed by anyone.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from .counting import VOTE_TYPES, Election, ordinal_points

__all__ = ["PbFile", "PabulibError", "parse_pb", "election_from_pb", "rule_options", "write_pb", "sha256_hex"]

SECTIONS = ("meta", "projects", "votes")

META_ORDER = (
    "description", "country", "unit", "subunit", "instance", "district", "num_projects", "num_votes",
    "budget", "vote_type", "rule", "date_begin", "date_end", "min_length", "max_length", "min_sum_cost",
    "max_sum_cost", "min_points", "max_points", "min_sum_points", "max_sum_points", "default_vote_length",
    "min_project_score_threshold", "currency", "language", "edition", "comment", "acknowledgments",
)
PROJECT_ORDER = (
    "project_id", "cost", "votes", "score", "name", "category", "target", "selected", "district",
    "neighborhood", "subunit", "latitude", "longitude", "proposer", "public_id", "description",
)
VOTE_ORDER = ("voter_id", "vote", "points", "age", "sex", "voting_method", "district", "neighborhood", "education")


class PabulibError(ValueError):
    """A malformed .pb file; str() is "line N: reason"."""

    def __init__(self, line: int, reason: str):
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass
class PbFile:
    meta: dict[str, str]
    projects: dict[str, dict[str, str]]
    votes: dict[str, dict[str, str]]
    # line number of every project / vote row, for error messages of election_from_pb
    lines: dict[tuple[str, str], int] = field(default_factory=dict, repr=False, compare=False)
    end_line: int = field(default=0, repr=False, compare=False)
    # (line, message) of every META count that disagrees with the rows (meta_counts="warn")
    warnings: list[tuple[int, str]] = field(default_factory=list, repr=False, compare=False)


def _records(text: str):
    """Split ``text`` into records: yields (first line, last line, fields, terminated).

    Fields are ``;``-separated. A field that starts with ``"`` and whose closing quote
    is followed by ``;`` or the line end is a quoted field as Python's csv module
    writes it (``""`` is a quote, ``;`` and line ends may appear inside). A field whose
    quote is *stray* -- ``"Odkupmy" i my ...``, text after the closing quote -- is taken
    verbatim up to the next ``;`` (pabulib publishes such files; Python's lenient csv
    reader, which pabutools uses, reads the same field without the quote characters).
    ``terminated`` is False for a last record with no line end after it.
    """
    lines = text.split("\n")
    n = len(lines)
    if lines and lines[-1] == "":
        lines.pop()
        n -= 1
        ended = True
    else:
        ended = False

    def line_at(k):
        s = lines[k]
        return s[:-1] if s.endswith("\r") else s

    i = 0
    while i < n:
        s = line_at(i)
        start = i + 1
        if '"' not in s:
            yield start, start, s.split(";"), ended or i < n - 1
            i += 1
            continue
        fields = []
        pos = 0
        while True:  # one field per iteration, starting at s[pos]
            if s.startswith('"', pos):
                buf = []
                j = pos + 1
                k_line = i
                cur = s
                field = None
                while True:
                    k = cur.find('"', j)
                    if k < 0:  # the quoted field goes on on the next line
                        if k_line + 1 >= n:
                            raise PabulibError(start, "bad CSV quoting (a quote opened here is never closed)")
                        buf.append(cur[j:])
                        buf.append("\n")
                        k_line += 1
                        cur = line_at(k_line)
                        j = 0
                        continue
                    if cur.startswith('"', k + 1):  # doubled quote
                        buf.append(cur[j:k + 1])
                        j = k + 2
                        continue
                    buf.append(cur[j:k])
                    if k + 1 == len(cur) or cur[k + 1] == ";":
                        field = "".join(buf)
                        i, s, pos = k_line, cur, k + 1
                    elif k_line == i:  # stray quote: the field verbatim, up to the next ';'
                        end = s.find(";", pos)
                        end = len(s) if end < 0 else end
                        field, pos = s[pos:end], end
                    else:
                        raise PabulibError(start, "bad CSV quoting (text after the closing quote of a "
                                                  "field that spans lines)")
                    break
                fields.append(field)
            else:
                end = s.find(";", pos)
                end = len(s) if end < 0 else end
                fields.append(s[pos:end])
                pos = end
            if pos >= len(s):
                break
            pos += 1  # skip ';'
            if pos == len(s):
                fields.append("")
                break
        yield start, i + 1, fields, ended or i < n - 1
        i += 1


def parse_pb(text: str, meta_counts: str = "refuse") -> PbFile:
    """Parse the text of a .pb file (see module docstring).

    ``num_projects`` / ``num_votes`` in META, when present, must equal the number of
    rows (a truncated file is refused, naming the META line); with
    ``meta_counts="warn"`` a disagreement is recorded in ``PbFile.warnings`` instead.
    A last row with no line end after it is refused (the file was cut mid-row).
    """
    if meta_counts not in ("refuse", "warn"):
        raise ValueError("meta_counts must be 'refuse' or 'warn'")
    if text.startswith("\ufeff"):
        text = text[1:]
    meta: dict[str, str] = {}
    projects: dict[str, dict[str, str]] = {}
    votes: dict[str, dict[str, str]] = {}
    lines: dict[tuple[str, str], int] = {}
    section = None
    header: list[str] | None = None
    seen: list[str] = []
    end = 0
    for start, end, row, terminated in _records(text):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if not terminated:
            raise PabulibError(start, "the file ends in the middle of this row (no line end after it): "
                                      "the file looks truncated")
        name = cells[0].lower()
        if name in SECTIONS and not any(cells[1:]):
            expected = SECTIONS[len(seen)] if len(seen) < 3 else None
            if name != expected:
                if name in seen:
                    raise PabulibError(start, f"section {name.upper()} appears twice")
                raise PabulibError(start, f"section {name.upper()} found where {expected.upper()} was expected"
                                   if expected else f"unexpected section {name.upper()}")
            seen.append(name)
            lines[("section", name)] = start
            section, header = name, None
            continue
        if section is None:
            raise PabulibError(start, "content before the META section")
        if header is None:
            header = [c.lower() for c in cells]
            while header and header[-1] == "":
                header.pop()
            if "" in header:
                raise PabulibError(start, "empty column name in header")
            if len(set(header)) != len(header):
                raise PabulibError(start, "duplicate column name in header")
            required = {"meta": ("key", "value"), "projects": ("project_id", "cost"), "votes": ("voter_id", "vote")}
            for col in required[section]:
                if col not in header:
                    raise PabulibError(start, f"{section.upper()} header lacks the '{col}' column")
            continue
        while len(cells) > len(header) and cells[-1] == "":
            cells.pop()
        if len(cells) > len(header):
            raise PabulibError(start, f"{len(cells)} fields but the header has {len(header)} columns")
        cells += [""] * (len(header) - len(cells))  # short rows: missing trailing fields are empty
        if section == "meta":
            key = cells[0]
            if not key:
                raise PabulibError(start, "empty META key")
            if key in meta:
                raise PabulibError(start, f"META key '{key}' repeated")
            meta[key] = cells[1]
            lines[("meta", key)] = start
            continue
        record = dict(zip(header, cells))
        if section == "projects":
            pid = record["project_id"]
            if not pid:
                raise PabulibError(start, "empty project_id")
            if pid in projects:
                raise PabulibError(start, f"project_id '{pid}' repeated")
            projects[pid] = record
            lines[("project", pid)] = start
        else:
            vid = record["voter_id"]
            if not vid:
                raise PabulibError(start, "empty voter_id")
            if vid in votes:
                raise PabulibError(start, f"voter_id '{vid}' repeated")
            votes[vid] = record
            lines[("vote", vid)] = start
    if len(seen) < 3:
        missing = SECTIONS[len(seen)].upper()
        raise PabulibError(end + 1, f"missing {missing} section")
    if header is None:
        raise PabulibError(end + 1, "VOTES section has no header")
    warnings = []
    for key, rows, what in (("num_projects", projects, "PROJECTS"), ("num_votes", votes, "VOTES")):
        if key not in meta:
            continue
        line = lines[("meta", key)]
        declared = meta[key].strip()
        if not declared.isdigit():
            raise PabulibError(line, f"META {key} is not a whole number: '{meta[key]}'")
        if int(declared) != len(rows):
            msg = (f"META {key} is {int(declared)} but the {what} section has {len(rows)} rows"
                   + (" (the file looks truncated)" if int(declared) > len(rows) else ""))
            if meta_counts == "refuse":
                raise PabulibError(line, msg)
            warnings.append((line, msg))
    return PbFile(meta=meta, projects=projects, votes=votes, lines=lines, end_line=end, warnings=warnings)


_NUMBER = re.compile(r"^[+]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")


MAX_NUMBER = 10**15  # money and points above this are refused (no real budget comes near it)


def _number(text: str, what: str, line: int):
    """Exact value of a decimal number (comma or point as decimal separator).

    Refuses what is not a finite, non-negative decimal number, numbers above
    :data:`MAX_NUMBER` (``1e400`` would overflow every float computation) and
    numbers with more than 15 decimal places, naming the line."""
    t = text.strip()
    if not _NUMBER.match(t):
        raise PabulibError(line, f"{what} is not a non-negative number: '{text}'")
    d = Decimal(t.replace(",", "."))
    if not d.is_finite():  # pragma: no cover - the pattern admits digits only
        raise PabulibError(line, f"{what} is not a finite number: '{text}'")
    if d and (d.adjusted() > 15 or d > MAX_NUMBER):
        raise PabulibError(line, f"{what} is too large: '{text}' (at most 10^15)")
    if d and d.normalize().as_tuple().exponent < -15:
        raise PabulibError(line, f"{what} has more than 15 decimal places: '{text}'")
    value = Fraction(d)
    return int(value) if value.denominator == 1 else value


def election_from_pb(pb: PbFile) -> Election:
    """Build an :class:`~budget.core.counting.Election` from a parsed file.

    vote_type approval (also "choose-1"), cumulative, scoring (points from the
    ``points`` column) or ordinal (points n, n-1, ..., 1 from the order of ``vote``).
    Money and points are taken exactly (decimal strings become ints or Fractions).
    """
    meta_line = 1
    if "budget" not in pb.meta:
        raise PabulibError(pb.lines.get(("section", "meta"), meta_line), "META lacks the 'budget' key")
    budget = _number(pb.meta["budget"], "budget", pb.lines.get(("meta", "budget"), meta_line))
    vote_type = pb.meta.get("vote_type", "approval").strip().lower()
    if vote_type == "choose-1":
        vote_type = "approval"
    if vote_type not in VOTE_TYPES:
        raise PabulibError(pb.lines.get(("meta", "vote_type"), meta_line), f"unsupported vote_type '{vote_type}'")
    projects = {}
    for pid, rec in pb.projects.items():
        line = pb.lines.get(("project", pid), meta_line)
        cost = _number(rec.get("cost", ""), f"cost of project '{pid}'", line)
        if cost <= 0:
            raise PabulibError(line, f"cost of project '{pid}' must be > 0")
        projects[pid] = cost
    ballots = []
    for vid, rec in pb.votes.items():
        line = pb.lines.get(("vote", vid), meta_line)
        ids = [x.strip() for x in rec.get("vote", "").split(",")]
        ids = [x for x in ids if x]
        for x in ids:
            if x not in projects:
                raise PabulibError(line, f"vote of '{vid}' names unknown project '{x}'")
        if vote_type == "approval":
            ballots.append(dict.fromkeys(ids, 1))
            continue
        if len(set(ids)) != len(ids):
            raise PabulibError(line, f"vote of '{vid}' lists a project twice")
        if vote_type == "ordinal":
            ballots.append(ordinal_points(ids))
            continue
        raw = [x.strip() for x in rec.get("points", "").split(",")] if rec.get("points", "").strip() else []
        if len(raw) != len(ids):
            raise PabulibError(line, f"vote of '{vid}' has {len(ids)} projects but {len(raw)} points")
        ballots.append({x: _number(p, f"points of '{vid}'", line) for x, p in zip(ids, raw)})
    try:
        return Election(budget=budget, projects=projects, ballots=ballots, vote_type=vote_type)
    except ValueError as exc:  # pragma: no cover - everything is checked above
        raise PabulibError(pb.end_line, str(exc)) from None


def rule_options(pb: PbFile, rule: str, sat: str | None = None, threshold: str | None = None) -> dict:
    """Keyword arguments of :func:`~budget.core.counting.count` for ``rule`` on this file.

    ``greedy-threshold`` takes ``threshold`` if given, else META
    ``min_project_score_threshold`` (Katowice, Łódź files); neither is an error."""
    options: dict = {"sat": sat}
    if rule == "greedy-threshold":
        if threshold is not None:
            options["threshold"] = _number(str(threshold), "threshold", 0)
        elif "min_project_score_threshold" in pb.meta:
            options["threshold"] = _number(pb.meta["min_project_score_threshold"], "min_project_score_threshold",
                                           pb.lines[("meta", "min_project_score_threshold")])
        else:
            raise PabulibError(pb.lines.get(("section", "meta"), 1),
                               "greedy-threshold needs a threshold: META has no min_project_score_threshold "
                               "(give --threshold)")
    elif threshold is not None:
        raise PabulibError(0, "--threshold applies to greedy-threshold only")
    return options


# --------------------------------------------------------------------------- writing


def _natural_key(value: str):
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", value) if part]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, tuple)):
        return ",".join(_text(v) for v in value)
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        value = Decimal(value.numerator) / Decimal(value.denominator)
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _columns(rows: list[dict], first: tuple[str, ...]) -> list[str]:
    keys = set().union(*rows) if rows else set()
    head = [k for k in first if k in keys or k in first[:2]]
    return head + sorted(keys - set(head))


def write_pb(meta: dict, projects: list[dict], votes: list[dict]) -> str:
    """Deterministic .pb text.

    META keys in the standard order (unknown keys after, alphabetically);
    ``num_projects``/``num_votes`` are filled in when missing and must match when
    given. PROJECTS and VOTES rows are sorted by id in natural order ("2" before
    "10"); columns: the id and cost/vote first, then the standard optional columns,
    then any other column alphabetically. Lists become comma-separated values;
    missing values are empty. LF line endings, CSV quoting only where needed.
    """
    meta = {str(k): _text(v) for k, v in meta.items()}
    for key, n in (("num_projects", len(projects)), ("num_votes", len(votes))):
        if key in meta and meta[key] != str(n):
            raise ValueError(f"META {key}={meta[key]} but {n} rows were given")
        meta[key] = str(n)
    projects = [{str(k): _text(v) for k, v in p.items()} for p in projects]
    votes = [{str(k): _text(v) for k, v in b.items()} for b in votes]
    for rows, idcol in ((projects, "project_id"), (votes, "voter_id")):
        ids = [r.get(idcol, "") for r in rows]
        if any(not i for i in ids):
            raise ValueError(f"every row needs a non-empty {idcol}")
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate {idcol}")
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(["META"])
    w.writerow(["key", "value"])
    order = {k: i for i, k in enumerate(META_ORDER)}
    for key in sorted(meta, key=lambda k: (order.get(k, len(order)), k)):
        w.writerow([key, meta[key]])
    for title, rows, first, idcol in (
        ("PROJECTS", projects, PROJECT_ORDER, "project_id"),
        ("VOTES", votes, VOTE_ORDER, "voter_id"),
    ):
        cols = _columns(rows, first)
        w.writerow([title])
        w.writerow(cols)
        for r in sorted(rows, key=lambda r: _natural_key(r[idcol])):
            w.writerow([r.get(c, "") for c in cols])
    return out.getvalue()


def sha256_hex(text: str) -> str:
    """SHA-256 (hex) of the UTF-8 bytes of ``text``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
