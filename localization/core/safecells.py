"""Spreadsheet formula injection: the one guard for every CSV and XLSX cell the site writes.

A spreadsheet program treats a cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (and, in some programs,
a tab or a carriage return) as a formula: a proposal titled ``=cmd|' /C calc'!A0`` would run a command on the
computer of whoever opens the export. :func:`safe_cell` prefixes such text with an apostrophe (the OWASP
recommendation), so it is shown as text. Numbers are never changed: an int/float/Decimal stays a number, and a
*string* that is a plain number (``"-12.5"``, ``"+3"``, ``"-1e-3"``) is left as it is, so negative values stay
negative values.

Plain Python (no Django): used by the views, the API's CSV renderer, the XLSX writer and the Open SDG writer.
"""
from __future__ import annotations

import csv
import re

__all__ = ["safe_cell", "safe_row", "writer", "DictWriter", "DANGEROUS_START"]

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value):
    """``value`` unchanged unless it is text that a spreadsheet would read as a formula; then ``'`` + text."""
    if not isinstance(value, str) or not value or not value.startswith(DANGEROUS_START):
        return value
    if _NUMBER.fullmatch(value):
        return value
    return "'" + value


def safe_row(row):
    return [safe_cell(v) for v in row]


class writer:  # noqa: N801 - a drop-in for csv.writer
    """``csv.writer`` whose rows go through :func:`safe_cell`."""

    def __init__(self, f, *args, **kwargs):
        self._w = csv.writer(f, *args, **kwargs)

    def writerow(self, row):
        return self._w.writerow(safe_row(row))

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)

    @property
    def dialect(self):
        return self._w.dialect


class DictWriter(csv.DictWriter):
    """``csv.DictWriter`` whose values go through :func:`safe_cell`."""

    def writerow(self, rowdict):
        return super().writerow({k: safe_cell(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts):
        for row in rowdicts:
            self.writerow(row)
