"""Translation catalogs: compile .po → .mo with polib (no GNU gettext needed), extract strings per app.

    python config/i18n.py compile path/to/django.po     # writes django.mo beside it
    python config/i18n.py extract                      # refresh every .po (needs xgettext; developers only)
    python config/i18n.py fill                         # fill empty kk/ru entries from the translation memories
    python config/i18n.py check                        # list untranslated or fuzzy entries; exit 1 if any

Translation memories are ``locale/translations*.json`` and ``<app>/locale/translations*.json``:
``{"English msgid": {"kk": "...", "ru": "..."}}``; a plural entry gives a list of forms per language; a string
with a context (pgettext) is keyed ``"context|msgid"``.
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
    )


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


def problems() -> list[str]:
    found = []
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
    elif command == "fill":
        fill()
    elif command == "check":
        issues = problems()
        print("\n".join(issues) or "All catalogs complete.")
        sys.exit(1 if issues else 0)
