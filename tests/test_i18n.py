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
