from django.conf import settings
from django.urls import translate_url

from .permissions import is_officer


def site(request):
    """Language switcher links (same page in each language) for every template."""
    path = request.get_full_path()
    languages = [
        {"code": code, "name": name, "url": translate_url(path, code)} for code, name in settings.LANGUAGES
    ]
    return {"site_languages": languages, "user_is_officer": is_officer(getattr(request, "user", None))}
