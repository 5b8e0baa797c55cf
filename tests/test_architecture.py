"""Layering (localization <- geo <- budget) and pure numeric cores, checked on the source."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {"localization": set(), "geo": {"localization"}, "budget": {"localization", "geo"}}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_apps_import_only_from_apps_to_their_left():
    for app, allowed in ALLOWED.items():
        forbidden = set(ALLOWED) - allowed - {app}
        for path in (ROOT / app).rglob("*.py"):
            bad = imports(path) & forbidden
            assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_numeric_cores_have_no_django():
    cores = [p for app in ALLOWED for p in (ROOT / app / "core").rglob("*.py")]
    assert cores
    for path in cores:
        assert "django" not in imports(path), f"{path.relative_to(ROOT)} imports Django"


def test_start_up_does_not_import_the_heavy_libraries():
    """Importing the URL conf (every view) and all apps leaves mapclassify, scipy, scikit-learn, geopandas, folium
    and pandas unimported: they load when a map, a table or an import needs them (bench/bench_startup.py)."""
    import json
    import subprocess
    import sys

    code = (
        "import json, os, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings');"
        "import django; django.setup();"
        "from django.urls import get_resolver; get_resolver().url_patterns;"
        "heavy = ['mapclassify', 'scipy', 'sklearn', 'geopandas', 'folium', 'pandas', 'openpyxl'];"
        "print(json.dumps([m for m in heavy if m in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
