from django import template

from localization.permissions import can_edit_region

register = template.Library()


@register.filter
def can_edit(user, region) -> bool:
    """``{% if user|can_edit:region %}`` — the same check the views enforce."""
    return can_edit_region(user, region)
