"""Every row message the Open SDG reader and the import can write (``file:line: reason``, stored in English in
ImportRun.errors/warnings) has a translatable template in ``reporting._MESSAGES``, so an officer reading the run
in Kazakh or Russian never gets an English reason. The messages are found in the source (every ``RowError(...,
reason)`` and every ``errors/warnings.append(f"...")``), their formatted parts filled with a sample value."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.utils import translation

from localization.services.imports import reporting

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "localization" / "core" / "opensdg").glob("*.py")) + sorted(
    (ROOT / "localization" / "services" / "imports").glob("*.py"))


def _samples(node: ast.expr) -> list[str]:
    """Samples of a reason given as a literal or as ``lambda i: <literal>`` (both branches of an ``if``)."""
    if isinstance(node, ast.Lambda):
        node = node.body
    if isinstance(node, ast.IfExp):
        return _samples(node.body) + _samples(node.orelse)
    text = _sample(node)
    return [text] if text is not None else []


def _sample(node: ast.expr) -> str | None:
    """The message with every formatted part replaced by a sample value ("7"); None if not a literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "7" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):  # "..." + "..." (implicit joins are one node)
        left, right = _sample(node.left), _sample(node.right)
        return left + right if left is not None and right is not None else None
    return None


def _messages() -> list[tuple[str, str]]:
    found = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if isinstance(func, ast.Name) and func.id == "RowError" and len(node.args) >= 3:
                text = _sample(node.args[2])
                if text is not None:
                    found.append((where, f"data/x.csv:7: {text}"))
            elif isinstance(func, ast.Attribute) and func.attr == "append" and node.args:
                owner = getattr(func.value, "id", getattr(func.value, "attr", ""))
                if owner in ("errors", "warnings"):
                    text = _sample(node.args[0])
                    if text is not None:
                        found.append((where, text if text.startswith("7") else f"data/x.csv:7: {text}"))
                elif owner in ("problems", "notes") and isinstance(node.args[0], ast.Tuple):  # (row mask, reason)
                    found += [(where, f"data/x.csv:7: {text}") for text in _samples(node.args[0].elts[1])]
    return found


def test_the_source_scan_finds_the_messages():
    messages = [text for _where, text in _messages()]
    assert len(messages) >= 25
    assert "data/x.csv:7: no header line" in messages


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_import_message_is_translated(lang):
    untranslated = []
    for where, text in _messages():
        with translation.override(lang):
            shown = reporting.localize_error(text)
        if shown == text:
            untranslated.append(f"{where}: {text}")
    assert not untranslated, "messages with no template in reporting._MESSAGES:\n" + "\n".join(untranslated)
