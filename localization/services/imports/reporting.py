"""Row messages of the reader and the import (stored in English in :attr:`ImportRun.errors`) in the active
language, and the warnings of a run."""
from __future__ import annotations

import re

from django.utils.translation import gettext, gettext_noop

from ...models import ImportRun

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
    (r"input (?P<n>\S+) is not a mapping \(expected class: and path_pattern:\)",
     gettext_noop("input %(n)s is not a mapping (expected class: and path_pattern:)")),
    (r"not a readable metadata CSV \(field,value\): (?P<x>.*)", gettext_noop("not a readable metadata CSV (field,value): %(x)s")),
    (r"expected a mapping, got (?P<x>.+)", gettext_noop("expected a mapping of fields, got %(x)s")),
    (r"SDMX-ML needs the sdmx1 library, which is not installed",
     gettext_noop("SDMX-ML needs the sdmx1 library, which is not installed")),
    (r"(?P<c>\S+) denotes a unit abolished in (?P<y>\d+), but the row is for (?P<z>\S+)",
     gettext_noop("%(c)s denotes a unit abolished in %(y)s, but the row is for %(z)s")),
    (r"GeoCode disagrees with REF_AREA on (?P<n>\d+) row\(s\) \(first: (?P<a>.*) vs (?P<b>.*)\); REF_AREA used",
     gettext_noop("GeoCode disagrees with REF_AREA on %(n)s rows (first: %(a)s vs %(b)s); REF_AREA is used")),
    (r"(?P<year>\S+) already has a value \((?P<value>[^,]*), (?P<status>[^)]*)\) that only a statistics officer can change",
     gettext_noop("%(year)s already has a value (%(value)s, %(status)s); only a statistics officer can change it.")),
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


def run_warnings(run: ImportRun) -> list[str]:
    """Rows the reader repaired or skipped (``file:line: reason``)."""
    return list(run.warnings or [])
