"""Indicator search: goal number, national code (1-2-1 or 1.2.1) or words of the title in kk, ru or en.

The server filters with :func:`matches_query` (``?q=``). The national list (grouped by goal) asks the server again
as the visitor types (static/js/indicator-list.js, ``?partial=1``); the value picker, a short list, carries
:func:`search_text` in each row's ``data-search`` attribute so that static/js/indicator-search.js filters the same
way in the page.
"""
from __future__ import annotations


def search_text(indicator) -> str:
    """What the search looks in: codes (1-2-1 and 1.2.1), ``#<goal>#`` and the titles in kk/ru/en, lower-cased."""
    return " ".join([indicator.code, indicator.dotted, f"#{indicator.goal.number}#", indicator.title_kk or "",
                     indicator.title_ru or "", indicator.title_en or ""]).casefold()


def matches_query(indicator, query: str) -> bool:
    """Every word of ``query`` occurs in the indicator's codes or titles; a bare number is a goal or a code prefix."""
    text = search_text(indicator)
    for word in (query or "").casefold().split():
        if word.isdigit():
            if f"#{word}#" not in text and not indicator.code.startswith(f"{word}-"):
                return False
        elif word not in text and word.replace(".", "-") not in text:
            return False
    return True


def search(indicators, query: str) -> list:
    return [i for i in indicators if matches_query(i, query)] if (query or "").strip() else list(indicators)
