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
