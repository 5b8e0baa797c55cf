from django import template

register = template.Library()


@register.filter
def tenge(value) -> str:
    """Whole numbers with non-breaking spaces between thousands (the Kazakh and Russian convention): 30 000 000."""
    if value is None or value == "":
        return ""
    try:
        return f"{round(float(value)):,}".replace(",", "\u00a0")
    except (TypeError, ValueError):
        return str(value)
