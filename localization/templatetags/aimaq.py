from django import template

from localization.permissions import can_edit_region

register = template.Library()


@register.filter
def can_edit(user, region) -> bool:
    """``{% if user|can_edit:region %}`` — the same check the views enforce."""
    return can_edit_region(user, region)


@register.filter
def unit(code) -> str:
    """``{{ value.unit|unit }}``: a unit code or label in the reader's language, from the unit catalogue."""
    from localization.core import units
    from localization.models import current_lang

    return units.label(code, current_lang()) or (code or "")


@register.filter
def cite(point):
    """``{{ p|cite }}``: where a value comes from, as a reader's citation with the exact file and line as a tooltip.

    ``point`` is a value row (``source_file``, ``source_line``; else its ``source`` text such as "entered by akimat")."""
    from django.utils.html import conditional_escape

    from localization.citations import cite as make_citation

    source_file = getattr(point, "source_file", "") or ""
    if source_file:
        return make_citation(source_file, getattr(point, "source_line", None)).html()
    return conditional_escape(getattr(point, "source", "") or "")


@register.filter
def cite_refs(text):
    """``{{ text|cite_refs }}``: free text with file references replaced by citations (tooltip: the reference)."""
    from localization.citations import cite_html

    return cite_html(str(text or ""))


@register.filter
def search_text(indicator) -> str:
    """``data-search="{{ i|search_text }}"``: what the client-side indicator filter matches (see localization.search)."""
    from localization.search import search_text as text

    return text(indicator)
