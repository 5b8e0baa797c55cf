"""Translation catalogs: compile .po → .mo with polib (no GNU gettext needed), extract strings per app.

    python config/i18n.py compile path/to/django.po     # writes django.mo beside it
    python config/i18n.py extract                      # refresh every .po (needs xgettext; developers only)
    python config/i18n.py extract-js                   # only the admin's JavaScript catalogue (no xgettext needed)
    python config/i18n.py fill                         # fill empty kk/ru entries from the translation memories
    python config/i18n.py check                        # list untranslated or fuzzy entries; exit 1 if any

Translation memories are ``locale/translations*.json`` and ``<app>/locale/translations*.json``:
``{"English msgid": {"kk": "...", "ru": "..."}}``; a plural entry gives a list of forms per language; a string
with a context (pgettext) is keyed ``"context|msgid"``.

The admin's JavaScript strings (calendar, clock, "Note: You are 5 hours ahead of server time.", the filter widget)
live in the ``djangojs`` domain, for which Django's kk catalogue is mostly empty. The project keeps its own
``locale/<lang>/LC_MESSAGES/djangojs.po`` with every msgid of Django's Russian admin catalogue (the complete one);
LOCALE_PATHS are merged after the packages, so the admin's ``jsi18n`` view serves the project's strings.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import json
import re

import polib

ROOT = Path(__file__).resolve().parent.parent
APPS = ["localization", "geo", "budget"]
LANGS = ["kk", "ru", "en"]


def po_files() -> list[Path]:
    return sorted(ROOT.glob("locale/*/LC_MESSAGES/django.po")) + sorted(
        p for app in APPS for p in (ROOT / app).glob("locale/*/LC_MESSAGES/django.po")
    ) + js_po_files()


def js_po_files() -> list[Path]:
    return sorted(ROOT.glob("locale/*/LC_MESSAGES/djangojs.po"))


def js_po_path(lang: str) -> Path:
    """The project's catalogue of the admin's JavaScript strings in ``lang``."""
    return ROOT / "locale" / lang / "LC_MESSAGES" / "djangojs.po"


def django_js_source() -> Path:
    """Django's Russian admin JavaScript catalogue: the msgids the project's djangojs.po must hold."""
    import django

    return Path(django.__file__).parent / "contrib" / "admin" / "locale" / "ru" / "LC_MESSAGES" / "djangojs.po"


def django_js_msgids() -> list[tuple[str | None, str, str]]:
    """(context, msgid, msgid_plural) of every string of Django's admin JavaScript catalogue."""
    return [(e.msgctxt, e.msgid, e.msgid_plural) for e in polib.pofile(str(django_js_source()))
            if e.msgid and not e.obsolete]


def extract_js() -> None:
    """Write ``locale/<lang>/LC_MESSAGES/djangojs.po`` with Django's admin JavaScript msgids (filled by ``fill``).

    The plural forms are those of the language's django.po; the creation date is Django's, so a re-run changes
    nothing unless Django's strings do."""
    source = polib.pofile(str(django_js_source()))
    for lang in LANGS:
        django_po = ROOT / "locale" / lang / "LC_MESSAGES" / "django.po"
        plural = polib.pofile(str(django_po)).metadata.get("Plural-Forms") if django_po.exists() else None
        po = polib.POFile(wrapwidth=79)
        po.header = ("The Django admin's JavaScript strings: written by config/i18n.py extract-js, translated in "
                     "locale/translations-djangojs.json.")
        po.metadata = {
            "Project-Id-Version": "Aimaq (Django admin JavaScript)",
            "POT-Creation-Date": source.metadata.get("POT-Creation-Date", ""),
            "Language": lang,
            "MIME-Version": "1.0",
            "Content-Type": "text/plain; charset=UTF-8",
            "Content-Transfer-Encoding": "8bit",
            "Plural-Forms": plural or "nplurals=2; plural=(n != 1);",
        }
        nplurals = int(re.search(r"nplurals\s*=\s*(\d+)", po.metadata["Plural-Forms"]).group(1))
        for ctxt, msgid, msgid_plural in django_js_msgids():
            entry = polib.POEntry(msgctxt=ctxt, msgid=msgid, msgid_plural=msgid_plural, msgstr="",
                                  flags=["javascript-format"] if "%s" in msgid else [])
            if msgid_plural:
                entry.msgstr_plural = {i: "" for i in range(nplurals)}
            po.append(entry)
        path = js_po_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        po.save(str(path))


def compile_po(path: Path) -> None:
    polib.pofile(str(path)).save_as_mofile(str(path.with_suffix(".mo")))


def extract() -> None:
    """Rebuild every catalog from the source and fill it from the memories.

    The old .po files are removed first: the memories are the reviewed translations, and starting afresh keeps
    msgmerge from carrying over guessed ("fuzzy") translations of new strings.
    """
    for path in po_files():
        path.unlink()
    manage = [sys.executable, str(ROOT / "manage.py"), "makemessages", "--no-obsolete", "--no-location"]
    langs = [arg for lang in LANGS for arg in ("-l", lang)]
    for app in APPS:
        subprocess.run([sys.executable, "-m", "django", "makemessages", "--no-obsolete", "--no-location", *langs],
                       cwd=ROOT / app, check=True, env={"DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONPATH": str(ROOT),
                                                         "PATH": "/usr/bin:/bin"})
    ignores = [arg for app in APPS + [".venv", "tests", "bench", "fixtures", "staticfiles"] for arg in ("-i", f"{app}/*")]
    subprocess.run([*manage, *langs, *ignores], cwd=ROOT, check=True)
    extract_js()


def memory() -> dict:
    merged: dict = {}
    paths = sorted(ROOT.glob("locale/translations*.json")) + sorted(
        p for app in APPS for p in (ROOT / app).glob("locale/translations*.json")
    )
    for path in paths:
        if path.exists():
            merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def fill() -> None:
    tm = memory()
    for path in po_files():
        lang = path.parts[-3]
        if lang == "en":
            continue
        po = polib.pofile(str(path))
        match = re.search(r"nplurals\s*=\s*(\d+)", po.metadata.get("Plural-Forms", ""))
        nplurals = int(match.group(1)) if match else 2
        changed = False
        for entry in po:
            # A string with a context ("pgettext") is looked up as "context|msgid" first.
            entry_tm = tm.get(f"{entry.msgctxt}|{entry.msgid}") if entry.msgctxt else None
            known = (entry_tm or tm.get(entry.msgid, {})).get(lang)
            if not known:
                continue  # a fuzzy guess without a memory entry stays fuzzy, so `check` reports it
            # The memory is the reviewed source of truth: it overwrites guesses and stale text alike.
            if entry.msgid_plural:
                forms = known if isinstance(known, list) else [known]
                for index in range(nplurals):
                    entry.msgstr_plural.setdefault(index, "")
                for index in entry.msgstr_plural:
                    wanted = forms[min(index, len(forms) - 1)]
                    if entry.msgstr_plural[index] != wanted:
                        entry.msgstr_plural[index] = wanted
                        changed = True
            elif entry.msgstr != known:
                entry.msgstr = known
                changed = True
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
                changed = True
        if changed:
            po.save()


NATIONAL_DATA = ROOT / "fixtures" / "kazstat-sdg-data"


def fixture_units() -> set[str]:
    """Every unit the national data names: UNIT_MEASURE/Units codes of the data files, the UNIT_MEASURE keys of its
    translations and ``computation_units`` of the metadata (often Russian text, e.g. ``data.тыс.тенге``)."""
    import csv

    import yaml

    found: set[str] = set()
    for path in sorted((NATIONAL_DATA / "data").glob("*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                found.update(v for k in ("UNIT_MEASURE", "Units") if (v := (row.get(k) or "").strip()))
    for lang in LANGS:
        path = NATIONAL_DATA / "translations" / lang / "UNIT_MEASURE.yml"
        if path.exists():
            found.update(str(k) for k in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if k != "[REMOVE]")
    for folder in ("meta", "indicator-config"):
        for path in sorted((NATIONAL_DATA / folder).glob("*.yml")):
            meta = yaml.safe_load(path.read_text(encoding="utf-8"))
            if isinstance(meta, dict) and isinstance(meta.get("computation_units"), str):
                found.add(meta["computation_units"])
    return found


def unit_problems() -> list[str]:
    """A unit of the national data without a kk, ru and en label in the unit catalogue (localization/core/units.py)."""
    sys.path.insert(0, str(ROOT))
    from localization.core import units

    found = []
    for text in sorted(fixture_units()):
        code = units.lookup(text)
        if code is None:
            found.append(f"unit not in the catalogue (localization/core/units.py): {text!r}")
        elif not all(units.CATALOGUE[code]):
            found.append(f"unit {code} lacks a label in one of kk/ru/en")
    return found


#: Words that mark an English msgstr left in a kk or ru catalogue (a string copied instead of translated).
_ENGLISH = re.compile(r"\b(the|and|of|with|for|to|is|are|not|this|your)\b", re.IGNORECASE)
_LATIN_ONLY = re.compile(r"^[\x00-\x7f–—…“”’©·×≤≥]*$")


def english_problems() -> list[str]:
    """A kk/ru msgstr that is plain English text (identical to a multi-word msgid, or Latin letters only with English
    function words)."""
    found = []
    for path in po_files():
        lang = path.parts[-3]
        if lang == "en":
            continue
        for entry in polib.pofile(str(path)):
            text = entry.msgstr
            if not text or entry.obsolete:
                continue
            words = re.sub(r"%\(\w+\)[sd]|\{\w+\}|<[^>]+>|https?://\S+", "", text)
            if _LATIN_ONLY.match(words) and len(_ENGLISH.findall(words)) >= 2:
                found.append(f"{path.relative_to(ROOT)}: English text in {lang}: {entry.msgid[:60]!r}")
    return found


def js_problems() -> list[str]:
    """A string of Django's admin JavaScript catalogue missing from the project's kk or ru djangojs.po."""
    wanted = {(ctxt, msgid) for ctxt, msgid, _ in django_js_msgids()}
    found = []
    for lang in ("kk", "ru"):
        path = js_po_path(lang)
        if not path.exists():
            found.append(f"{path.relative_to(ROOT)}: missing (python config/i18n.py extract-js)")
            continue
        have = {(e.msgctxt, e.msgid) for e in polib.pofile(str(path)) if not e.obsolete}
        for ctxt, msgid in sorted(wanted - have, key=lambda key: (key[0] or "", key[1])):
            context = f" (context {ctxt!r})" if ctxt else ""
            found.append(f"{path.relative_to(ROOT)}: Django admin JavaScript string missing: {msgid!r}{context}")
    return found


def problems() -> list[str]:
    found = unit_problems() + english_problems() + js_problems()
    for path in po_files():
        po = polib.pofile(str(path))
        lang = path.parts[-3]
        for entry in po:
            if entry.obsolete:
                continue
            if "fuzzy" in entry.flags:
                found.append(f"{path.relative_to(ROOT)}: fuzzy: {entry.msgid!r}")
            elif entry.msgid_plural and lang != "en":
                match = re.search(r"nplurals\s*=\s*(\d+)", po.metadata.get("Plural-Forms", ""))
                wanted = int(match.group(1)) if match else 2
                forms = [entry.msgstr_plural.get(i, "") for i in range(wanted)]
                if not all(forms):
                    found.append(f"{path.relative_to(ROOT)}: untranslated plural: {entry.msgid!r}")
            elif not entry.msgstr and lang != "en":
                found.append(f"{path.relative_to(ROOT)}: untranslated: {entry.msgid!r}")
    return found


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "compile":
        for arg in sys.argv[2:] or [str(p) for p in po_files()]:
            compile_po(Path(arg))
    elif command == "extract":
        extract()
        fill()
    elif command == "extract-js":
        extract_js()
        fill()
    elif command == "fill":
        fill()
    elif command == "check":
        issues = problems()
        print("\n".join(issues) or "All catalogs complete.")
        sys.exit(1 if issues else 0)
