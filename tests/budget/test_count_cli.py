"""aimaq-count / manage.py count_pabulib: budget.core alone, file:line errors, greedy-threshold, --sat."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from budget.core.cli import main

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"


def test_cli_prints_winners_in_selection_order(capsys):
    assert main([str(DATA / "toy_approval.pb"), "--rule", "mes"]) == 0
    assert capsys.readouterr().out.split() == ["A", "D"]
    assert main([str(DATA / "cumulative.pb"), "--rule", "greedy"]) == 0
    assert capsys.readouterr().out.split() == ["p4", "p3", "p2"]


@pytest.mark.parametrize(
    "edit,rule,message",
    [
        (("budget;60", "budget;1e400"), "mes", ":9: budget is too large: '1e400'"),
        (("budget;60", "budget;1e400"), "greedy", ":9: budget is too large"),
        (("num_votes;4", "num_votes;84"), "greedy", ":8: META num_votes is 84 but the VOTES section has 4 rows"),
        (("z;20", "z;0"), "mes-add1", ":16: cost of project 'z' must be > 0"),
        (("rule;greedy", "rule;greedy"), "greedy-threshold", ":1: greedy-threshold needs a threshold"),
    ],
)
def test_cli_errors_name_file_and_line(tmp_path, capsys, edit, rule, message):
    bad = tmp_path / "bad.pb"
    bad.write_text((DATA / "ordinal.pb").read_text(encoding="utf-8").replace(*edit), encoding="utf-8")
    assert main([str(bad), "--rule", rule]) == 1
    err = capsys.readouterr()
    assert err.out == ""
    assert f"bad.pb{message}" in err.err


def test_meta_counts_warn_counts_with_a_warning(tmp_path, capsys):
    bad = tmp_path / "short.pb"
    bad.write_text((DATA / "ordinal.pb").read_text(encoding="utf-8").replace("num_votes;4", "num_votes;5"),
                   encoding="utf-8")
    assert main([str(bad), "--rule", "greedy", "--meta-counts", "warn"]) == 0
    out = capsys.readouterr()
    assert out.out.split() == ["z", "x"]
    assert "short.pb:8: warning: META num_votes is 5 but the VOTES section has 4 rows" in out.err


def test_greedy_threshold_takes_the_meta_threshold(tmp_path, capsys):
    text = (DATA / "ordinal.pb").read_text(encoding="utf-8")
    # Borda points: x 4, y 4, z 5; a threshold of 5 leaves z only
    f = tmp_path / "t.pb"
    f.write_text(text.replace("rule;greedy", "rule;greedy-threshold\nmin_project_score_threshold;5"), encoding="utf-8")
    assert main([str(f), "--rule", "greedy-threshold"]) == 0
    assert capsys.readouterr().out.split() == ["z"]
    assert main([str(f), "--rule", "greedy-threshold", "--threshold", "4"]) == 0
    assert capsys.readouterr().out.split() == ["z", "x"]


def test_manage_py_count_pabulib_does_not_start_django():
    # -X importtime lists every module imported: neither Django nor the project's apps
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "manage.py", "count_pabulib", str(DATA / "toy_approval.pb"),
         "--rule", "mes-add1"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["A", "C", "D"]
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "budget.core.counting" in imported
    assert not {m for m in imported if m.split(".")[0] in ("django", "geo", "localization", "config")}
    assert not {m for m in imported if m.startswith("budget.") and not m.startswith("budget.core")}


def test_console_script_entry_point_is_declared():
    import tomllib

    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    target = conf["project"]["scripts"]["aimaq-count"]
    module, func = target.split(":")
    assert module == "budget.core.cli" and func == "main"
    assert "budget.core" in conf["tool"]["setuptools"]["packages"]
