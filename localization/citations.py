"""Readers' citations for the files Aimaq's figures come from.

A value keeps its exact origin (``data/indicator_1-2-1.csv`` line 288, ``004_a471b3897bac7629.txt`` line 858) for
auditors; readers see a citation in their language ("ҰСБ, ТДМ ұлттық платформасы"; "UN Cooperation Framework
2026–2030, results matrix"). :func:`cite` is the one mapping from a source file to a citation; the template filters
``cite`` and ``cite_refs`` (``localization.templatetags.aimaq``) show the citation with the exact reference as a
tooltip.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

#: File name patterns (matched against the base name) → the reader's citation.
SOURCES: list[tuple[re.Pattern, object]] = [
    (re.compile(r"^indicator_[\w-]+\.csv$"), gettext_lazy("National SDG platform (Bureau of National Statistics)")),
    (re.compile(r"^000_e3cedfe4388e2973\.txt$"), gettext_lazy("Voluntary National Review of Kazakhstan 2025 (VNR)")),
    (re.compile(r"^004_a471b3897bac7629\.txt$"),
     gettext_lazy("UN Cooperation Framework 2026–2030, results matrix")),
    (re.compile(r"^cf_results_framework\.csv$"), gettext_lazy("UN Cooperation Framework 2026–2030, results matrix")),
    (re.compile(r"^(regional_figures|national_series|sdg_status)\.csv$"),
     gettext_lazy("Voluntary National Review of Kazakhstan 2025 (VNR)")),
    (re.compile(r"^kz_settlements_osm.*\.csv$"), gettext_lazy("© OpenStreetMap contributors")),
    (re.compile(r"^population.*\.csv$"), gettext_lazy("BNS, population statistics")),
]

#: A file reference inside free text: ``file.csv:288``, ``file.txt line 858``, ``file.txt, line 858``.
REFERENCE = re.compile(r"(?P<file>[\w./-]+\.(?:csv|txt|xlsx))(?:(?::|,? line |, строка |, жол )(?P<line>\d+))?")


@dataclass(frozen=True)
class Citation:
    text: str  # the reader's citation, in the active language
    reference: str  # the exact reference (file and line) for auditors

    def html(self) -> SafeString:
        return format_html('<span class="cite" title="{}">{}</span>', self.reference, self.text)


def reference(source_file: str, source_line: int | None = None) -> str:
    if not source_file:
        return ""
    return _("%(file)s, line %(n)s") % {"file": source_file, "n": source_line} if source_line else source_file


def cite(source_file: str, source_line: int | None = None) -> Citation:
    """The reader's citation of ``source_file`` (line ``source_line``) in the active language.

    A file Aimaq does not know (e.g. a spreadsheet an akimat uploaded) is cited by its name."""
    name = (source_file or "").replace("\\", "/").rsplit("/", 1)[-1]
    for pattern, label in SOURCES:
        if pattern.match(name):
            return Citation(str(label), reference(source_file, source_line))
    text = _("file %(name)s") % {"name": name} if name else ""
    return Citation(text, reference(source_file, source_line))


def cite_text(text: str) -> str:
    """Free text (a target's source, a note) with every file reference replaced by its citation (plain text)."""
    return _replace(text, lambda c: c.text)


def cite_html(text: str) -> SafeString:
    """Like :func:`cite_text`, escaped, with the exact reference of each citation as a tooltip."""
    return mark_safe(_replace(escape(text or ""), lambda c: str(c.html())))


#: English phrases that Aimaq writes into stored source texts (targets, gap figures) → their translation.
PHRASES: list[tuple[re.Pattern, object]] = [
    (re.compile(r"UN Cooperation Framework Kazakhstan 2026–2030, Annex 1"),
     gettext_lazy("UN Cooperation Framework 2026–2030, results matrix")),
    (re.compile(r"national target for (?P<code>[\w-]+): (?P<value>[^\s()]+) by (?P<year>[\d?]+)"),
     gettext_lazy("national target for %(code)s: %(value)s by %(year)s")),
    (re.compile(r"approved regional target for (?P<code>[\w-]+) \((?P<value>[^\s()]+) by (?P<year>\d+)\)"),
     gettext_lazy("approved regional target for %(code)s (%(value)s by %(year)s)")),
]


def translate_phrases(text: str) -> str:
    for pattern, template in PHRASES:
        text = pattern.sub(lambda m, t=template: str(t) % m.groupdict() if m.groupdict() else str(t), text)
    return text


def _replace(text: str, render) -> str:
    if not text:
        return ""
    text = translate_phrases(text)
    out, pos = [], 0
    for match in REFERENCE.finditer(text):
        citation = cite(match.group("file"), int(match.group("line")) if match.group("line") else None)
        before = text[pos:match.start()]
        if citation.text and citation.text in before:
            # The document is already named ("… Annex 1 (004_….txt, line 858)"): drop the reference and its
            # brackets, and give the name the reference as its tooltip.
            head, _sep, tail = before.rpartition(citation.text)
            before = head + render(citation) + tail
            before = re.sub(r"[\s(,]*$", "", before) if re.search(r"\(\s*$", before) else before.rstrip(", ")
            out.append(before)
            rest = text[match.end():]
            pos = match.end() + (1 if rest.startswith(")") and re.search(r"\($", text[:match.start()].rstrip(", ")) else 0)
            continue
        out.append(before)
        out.append(render(citation))
        pos = match.end()
    out.append(text[pos:])
    return "".join(out)


def shared(points) -> Citation | None:
    """The citation every point of ``points`` has (None-points are skipped), when they all cite the same source
    and none is awaiting verification; else None. A table then names the source once (its caption) instead of on
    every row — on a phone the repeated citation made each row four lines tall. The exact references (files) stay
    in the tooltip; per-value lines are in the downloads and the API."""
    text, files = None, set()
    for p in points:
        if p is None:
            continue
        source_file = getattr(p, "source_file", "") or ""
        if not source_file or getattr(p, "unverified", False):
            return None
        c = cite(source_file)
        if text is None:
            text = c.text
        elif c.text != text:
            return None
        files.add(source_file)
    return Citation(text, ", ".join(sorted(files))) if text is not None else None
