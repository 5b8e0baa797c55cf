"""Every user-facing string is translated into Kazakh and Russian (English is the source language)."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_i18n():
    spec = importlib.util.spec_from_file_location("aimaq_i18n", ROOT / "config" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_catalogs_complete_for_every_app_and_language():
    i18n = load_i18n()
    files = i18n.po_files()
    langs = {(p.parts[-4] if p.parts[-4] != "locale" else p.parts[-5], p.parts[-3]) for p in files}
    for area in ("main", "localization", "geo", "budget"):
        for lang in ("kk", "ru", "en"):
            assert (area, lang) in {("main" if a == ROOT.name else a, l) for a, l in langs}, (area, lang)
    assert i18n.problems() == []


def test_placeholders_survive_translation():
    import polib

    i18n = load_i18n()
    import re

    pattern = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")
    for path in i18n.po_files():
        for entry in polib.pofile(str(path)):
            if entry.msgstr:
                assert set(pattern.findall(entry.msgid)) == set(pattern.findall(entry.msgstr)), (path, entry.msgid)


def test_check_fails_on_an_untranslated_unit(monkeypatch):
    i18n = load_i18n()
    assert i18n.unit_problems() == []
    monkeypatch.setattr(i18n, "fixture_units", lambda: {"PT", "data.вёдер в сутки"})
    assert i18n.unit_problems() == ["unit not in the catalogue (localization/core/units.py): 'data.вёдер в сутки'"]


def test_check_fails_on_english_text_in_kk_or_ru(tmp_path, monkeypatch):
    import polib

    i18n = load_i18n()
    po = polib.POFile()
    po.append(polib.POEntry(msgid="Show the values of the region", msgstr="Show the values of the region"))
    po.append(polib.POEntry(msgid="Region", msgstr="Өңір"))
    po.append(polib.POEntry(msgid="CSV", msgstr="CSV"))
    path = tmp_path / "kk" / "LC_MESSAGES" / "django.po"
    path.parent.mkdir(parents=True)
    po.save(str(path))
    monkeypatch.setattr(i18n, "po_files", lambda: [path])
    monkeypatch.setattr(i18n, "ROOT", tmp_path)
    assert i18n.english_problems() == ["kk/LC_MESSAGES/django.po: English text in kk: 'Show the values of the region'"]


def test_django_gaps_are_filled_by_the_project_catalogue():
    """Django's kk catalogue lacks the password help texts, capitalises months and says "кәзір" for "now"."""
    from django.utils import translation

    with translation.override("kk"):
        assert translation.gettext("now") == "қазір"
        assert translation.gettext("January") == "қаңтар"
        assert translation.gettext("This password is too common.") == "Бұл құпиясөз тым жиі қолданылады."
        assert translation.gettext("View site") == "Сайтты ашу"
    from django.contrib import admin
    from django.urls import reverse

    reverse("home")  # the URLconf (config/urls.py) names the admin site
    with translation.override("kk"):
        assert str(admin.site.site_header) == "Aimaq әкімшілігі"


def test_russian_district_names_are_written_one_way():
    """ru writes "Есильский район" (as the boundaries' ADM2_RU "Есильский"), never "район Есиль"."""
    for folder in ("budget", "localization", "geo", "templates", "locale"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in {".py", ".html", ".po", ".json"} and path.is_file():
                text = path.read_text(encoding="utf-8", errors="ignore")
                assert "район Есиль" not in text, path


def test_check_fails_on_a_missing_admin_javascript_string(monkeypatch):
    """Every msgid of Django's admin djangojs catalogue must be in the project's kk and ru djangojs.po."""
    i18n = load_i18n()
    assert i18n.js_problems() == []
    msgids = i18n.django_js_msgids()
    assert ("abbrev. month January", "Jan", "") in msgids
    assert (None, "Note: You are %s hour ahead of server time.",
            "Note: You are %s hours ahead of server time.") in msgids
    monkeypatch.setattr(i18n, "django_js_msgids", lambda: [*msgids, (None, "A new admin string", "")])
    assert i18n.js_problems() == [
        "locale/kk/LC_MESSAGES/djangojs.po: Django admin JavaScript string missing: 'A new admin string'",
        "locale/ru/LC_MESSAGES/djangojs.po: Django admin JavaScript string missing: 'A new admin string'",
    ]
    assert i18n.js_problems()[0] in i18n.problems()


def test_djangojs_catalogues_are_listed_with_the_others():
    i18n = load_i18n()
    names = {(p.parts[-3], p.name) for p in i18n.po_files()}
    assert {("kk", "djangojs.po"), ("ru", "djangojs.po"), ("en", "djangojs.po")} <= names
