"""Open SDG import: the whole national platform data set, idempotency, history, bad files, round trip, web import.

The national set (273 files, 45,585 data rows) is imported once for this module and removed afterwards; each
test runs in its own transaction on top of it.
"""
import csv
import io
import shutil
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from localization.models import DisaggregationLabel, ImportedFile, ImportRun, Indicator, IndicatorValue, Region
from localization.services import imports
from localization.services import values as value_service
from tests.localization.imported import national_import, wipe_imported

NATIONAL = imports.NATIONAL_REPOSITORY
ROWS_READ = 45_585  # non-blank data lines in the 273 CSV files
ROWS_STORED = 45_409  # ROWS_READ - 5 rows without a value - 171 later copies of a repeated key


@pytest.fixture(scope="module")
def national(django_db_setup, django_db_blocker):
    with national_import(django_db_blocker) as run:
        yield run


def value_of(code, year, area="", dims="", unit=None):
    qs = IndicatorValue.objects.filter(indicator__code=code, year=year, area_code=area, dims=dims)
    if unit is not None:
        qs = qs.filter(unit=unit)
    return qs.get()


def csv_rows(code):
    """(line, row dict) of a national CSV, read with the csv module."""
    path = NATIONAL / "data" / f"indicator_{code}.csv"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        return [(reader.line_num, row) for row in reader]


def copy_repo(tmp_path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(NATIONAL, root)
    return root


def write_csv(root: Path, code: str, text: str) -> None:
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / f"indicator_{code}.csv").write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_full_national_set_imports_with_zero_errors(national):
    run = ImportRun.objects.get(pk=national.pk)
    assert run.status == ImportRun.Status.DONE
    assert run.errors == []
    assert (run.files_total, run.files_done, run.files_failed) == (273, 273, 0)
    assert run.rows_created == ROWS_STORED and run.rows_updated == 0
    assert IndicatorValue.objects.count() == ROWS_STORED
    assert Indicator.objects.count() == 273
    # Every one of the 45,585 rows is either stored or reported (file:line) as skipped.
    warnings = imports.run_warnings(national)
    empty = [w for w in warnings if "empty Value" in w]
    dropped = [w for w in warnings if "duplicate key" in w]
    assert len(empty) + len(dropped) == ROWS_READ - ROWS_STORED
    assert all(w.startswith("data/indicator_") and w.split(":")[1].isdigit() for w in warnings)
    assert ImportRun.objects.get(pk=national.pk).warnings == warnings  # the report is stored with the run
    # Each value records its source file and line; every one has history (created by the import).
    assert not IndicatorValue.objects.filter(source_file="").exists()
    assert not IndicatorValue.objects.filter(source_line__isnull=True).exists()
    assert IndicatorValue.history.filter(history_type="+").count() == ROWS_STORED


@pytest.mark.django_db
def test_spot_values_match_the_csv_files(national):
    abai = Region.objects.get(ref_area="KZABY")
    v = value_of("1-2-1", 2023, "KZABY", unit="PT")
    assert v.value == 8.0 and v.region == abai and v.status == "official"
    assert (v.source_file, v.source_line) == ("data/indicator_1-2-1.csv", 293)
    assert value_of("1-2-1", 2023, "", unit="PT").value == 5.2  # national total
    assert value_of("1-2-1", 2023, "", "SEX=F").value == 5.0
    assert value_of("1-2-1", 2023, "", "URBANISATION=R").value == 7.0
    # Every row of 1-2-1 matches its CSV line (value, area, source line).
    for line, row in csv_rows("1-2-1"):
        dims = "|".join(f"{k}={row[k]}" for k in ("SEX", "URBANISATION") if row[k])
        stored = value_of("1-2-1", int(row["Year"]), row["REF_AREA"], dims)
        assert stored.value == float(row["Value"]) and stored.source_line == line
    # Disaggregations stay queryable.
    assert IndicatorValue.objects.filter(indicator__code="1-2-1", disaggregation__SEX="F").count() > 10
    # Pre-2022 rows of a region that split later keep their territory version.
    vos = IndicatorValue.objects.filter(area_code="KZVOS", territory="pre2022").first()
    assert vos is not None and vos.region.kato == "630000000" and vos.year < 2022


@pytest.mark.django_db
def test_indicator_rows_come_from_meta_and_translations(national):
    indicator = Indicator.objects.get(code="1-2-1")
    assert indicator.title_en == "Proportion of population living below the minimum subsistence level"
    assert indicator.title_kk and indicator.title_ru
    assert (indicator.unit, indicator.unit_ru, indicator.unit_en) == ("PT", "процент", "Percent")
    assert indicator.goal.number == 1 and list(indicator.targets.values_list("code", flat=True)) == ["1.2"]
    assert indicator.global_indicator.code == "1.2.1"
    assert indicator.customisation and indicator.reporting_status == "complete"
    extended = Indicator.objects.get(code="10-5-1-1")
    assert extended.global_indicator.code == "10.5.1"
    assert extended.targets.filter(code="10.5").exists()


@pytest.mark.django_db
def test_second_import_changes_nothing(national):
    history = (IndicatorValue.history.count(), Indicator.history.count())
    run = imports.import_repository(NATIONAL)
    assert run.errors == [] and run.files_failed == 0
    assert (run.rows_created, run.rows_updated, run.rows_unchanged) == (0, 0, ROWS_STORED)
    assert (IndicatorValue.history.count(), Indicator.history.count()) == history


@pytest.mark.django_db
def test_changed_data_updates_the_value_and_keeps_the_old_one_in_history(national, tmp_path):
    root = copy_repo(tmp_path)
    path = root / "data" / "indicator_1-2-1.csv"
    text = path.read_text(encoding="utf-8")
    assert "2023,PT,,,KZABY,8.0" in text
    path.write_text(text.replace("2023,PT,,,KZABY,8.0", "2023,PT,,,KZABY,8.4"), encoding="utf-8")
    run = imports.import_repository(root, only=["1-2-1"])
    assert run.errors == []
    assert (run.rows_created, run.rows_updated) == (0, 1)
    assert run.rows_unchanged == IndicatorValue.objects.filter(indicator__code="1-2-1").count() - 1
    value = value_of("1-2-1", 2023, "KZABY", unit="PT")
    assert value.value == 8.4
    history = list(value.history.order_by("history_date", "history_id"))
    assert [h.history_type for h in history] == ["+", "~"]
    assert [h.value for h in history] == [8.0, 8.4]
    assert history[-1].history_change_reason.startswith(f"Open SDG import #{run.pk}")


@pytest.mark.django_db
def test_bad_files_are_reported_by_line_and_nothing_is_imported_from_them(national, tmp_path):
    root = tmp_path / "bad"
    write_csv(root, "1-2-91", "Year,UNIT_MEASURE,REF_AREA,Value\n2020,PT,,5.1\n2021,PT,,5.2\n")  # good
    write_csv(root, "1-2-92", "Year,UNIT_MEASURE,Amount\n2020,PT,5.1\n")  # no Value column
    write_csv(root, "1-2-93", "Year,UNIT_MEASURE,REF_AREA,Value\n2020,PT,,5.1\n2021,PT,,five\n2022,PT,,5.3\n")  # non-numeric
    write_csv(root, "1-2-94", "Year,UNIT_MEASURE,SEX,Value\n2020,PT,F,5.1\n2020,PT,M,4.0\n2020,PT,F,5.9\n")  # duplicate key
    write_csv(root, "1-2-95", "Year,UNIT_MEASURE,REF_AREA,Value\n2020,PT,KZABY,5.1\n2020,PT,KZXXX,4.0\n")  # unknown code
    before = IndicatorValue.objects.count()
    run = imports.import_repository(root, duplicates="error")
    assert run.status == ImportRun.Status.FAILED
    assert (run.files_total, run.files_failed) == (5, 4)
    errors = "\n".join(run.errors)
    assert "data/indicator_1-2-92.csv:1: missing column 'Value'" in errors
    assert "data/indicator_1-2-93.csv:3: non-numeric value 'five'" in errors
    assert "data/indicator_1-2-94.csv:4: duplicate key" in errors and "line 2" in errors
    assert "data/indicator_1-2-95.csv:3: unknown region code 'KZXXX'" in errors
    # Nothing from a bad file, not even its indicator; the good file is in.
    assert not Indicator.objects.filter(code__in=["1-2-92", "1-2-93", "1-2-94", "1-2-95"]).exists()
    assert IndicatorValue.objects.count() == before + 2
    assert sorted(IndicatorValue.objects.filter(indicator__code="1-2-91").values_list("value", flat=True)) == [5.1, 5.2]


@pytest.mark.django_db
def test_command_lists_every_bad_row_and_exits_non_zero(national, tmp_path):
    root = tmp_path / "bad"
    write_csv(root, "1-2-96", "Year,Value\n2020,1\n20x1,2\n2022,abc\n")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_opensdg", str(root), stdout=out, stderr=err)
    assert "data/indicator_1-2-96.csv:3: bad year '20x1'" in err.getvalue()
    assert "data/indicator_1-2-96.csv:4: non-numeric value 'abc'" in err.getvalue()
    assert "1 failed" in out.getvalue()
    assert not Indicator.objects.filter(code="1-2-96").exists()


@pytest.mark.django_db
def test_command_on_the_national_set_succeeds(national):
    out = io.StringIO()
    call_command("import_opensdg", str(NATIONAL), stdout=out, stderr=io.StringIO())
    # Nothing changed since the module's import: every file is skipped by its content hash, and said so.
    assert "273 files, 0 imported, 273 unchanged (skipped), 0 failed" in out.getvalue()
    assert "0 created, 0 updated, 45409 unchanged" in out.getvalue()
    out = io.StringIO()
    call_command("import_opensdg", str(NATIONAL), "--all", stdout=out, stderr=io.StringIO())
    assert "273 files, 273 imported, 0 unchanged (skipped), 0 failed" in out.getvalue()
    assert "0 created, 0 updated, 45409 unchanged" in out.getvalue()


@pytest.mark.django_db
def test_reimport_skips_unchanged_files_and_reimports_a_changed_one(national, tmp_path):
    root = copy_repo(tmp_path)
    first = imports.import_repository(root)  # a copy: same paths and content, so nothing to read again
    assert (first.files_unchanged, first.rows_created, first.rows_updated) == (273, 0, 0)
    path = root / "data" / "indicator_1-2-1.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    old_value = lines[1].rsplit(",", 1)[1]
    lines[1] = lines[1].rsplit(",", 1)[0] + ",99.5"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = imports.import_repository(root)
    assert (run.files_total, run.files_unchanged, run.files_done) == (273, 272, 273)
    assert (run.rows_created, run.rows_updated) == (0, 1) and run.errors == []
    changed = IndicatorValue.objects.get(indicator__code="1-2-1", source_line=2)
    assert changed.value == 99.5 and changed.history.first().prev_record.value == float(old_value)
    # A value edited in the database since the last import: that indicator's file is read again, not skipped.
    IndicatorValue.objects.filter(pk=changed.pk).update(value=1.0, updated_at=changed.updated_at.replace(year=2030))
    run = imports.import_repository(root)
    assert run.files_unchanged == 272 and run.rows_updated == 1
    assert IndicatorValue.objects.get(pk=changed.pk).value == 99.5
    # Metadata counts as content: a changed meta file makes its indicator read again.
    meta = root / "meta" / "1-2-2.yml"
    meta.write_text(meta.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    run = imports.import_repository(root)
    assert run.files_unchanged == 272 and run.rows_unchanged > 0


@pytest.mark.django_db
def test_plain_command_imports_a_copy_of_the_national_repository_with_warnings(national, tmp_path):
    """A clone of the national repository anywhere (not the bundled path) imports like the platform reads it: the
    first of repeated rows kept, each dropped row a warning naming both lines and values; --strict refuses."""
    root = tmp_path / "sdg-data-kazstat"
    shutil.copytree(NATIONAL / "data", root / "data")
    out = io.StringIO()
    call_command("import_opensdg", str(root), "--only", "2-a-1", "17-3-1-3", "--show-warnings", stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert "2 files, 2 imported, 0 unchanged (skipped), 0 failed" in text
    assert ("warning: data/indicator_2-a-1.csv:13: duplicate key (year 2022, unit PT, national, totals) first seen on "
            "line 12 (line 12: 0.6, line 13: 0.5; different values); this row dropped") in text
    assert value_of("2-a-1", 2022, unit="PT").value == 0.6
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_opensdg", str(root), "--only", "2-a-1", "--strict", stdout=io.StringIO(), stderr=err)
    assert "data/indicator_2-a-1.csv:13: duplicate key" in err.getvalue()


VALUE_FIELDS = ["indicator__code", "year", "area_code", "unit", "series", "dims", "value", "region_id", "territory",
                "disaggregation", "status", "source_file", "source_line"]
INDICATOR_FIELDS = ["code", "title_kk", "title_ru", "title_en", "unit", "unit_kk", "unit_ru", "unit_en", "reporting_status",
                    "source", "customisation", "goal_id", "global_indicator_id"]


def _snapshot():
    values = sorted(map(repr, IndicatorValue.objects.values_list(*VALUE_FIELDS)))
    indicators = sorted(map(repr, Indicator.objects.filter(values__isnull=False).distinct().values_list(*INDICATOR_FIELDS)))
    labels = sorted(map(repr, DisaggregationLabel.objects.values_list("column", "code", "label_kk", "label_ru", "label_en")))
    return values, indicators, labels


@pytest.mark.django_db
def test_export_round_trips_into_a_fresh_database_and_reimports_unchanged(national, tmp_path):
    """The export is an Open SDG repository laid out like the national one (data/indicator_*.csv, meta/*.md with
    front matter, translations/). Imported into an empty database it gives back the same values, keys, provenance,
    indicator titles, units and labels; imported again into the same database it changes nothing."""
    before = _snapshot()
    archive = value_service.csv_zip(Indicator.objects.order_by("sort_key"))
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        names = zf.namelist()
        with_data = Indicator.objects.filter(values__isnull=False).distinct().count()
        assert len([n for n in names if n.startswith("data/indicator_")]) == with_data == 206
        assert len([n for n in names if n.startswith("meta/") and n.endswith(".md")]) == 206
        assert {"translations/ru/national_indicators.yml", "translations/kk/UNIT_MEASURE.yml", "translations/en/SEX.yml"} <= set(names)
        meta = zf.read("meta/1-2-1.md").decode()
        assert meta.startswith("---\nindicator_number: 1.2.1\ngraph_title: national_indicators.1-2-1-title\n")
        assert zf.read("data/indicator_1-2-1.csv").decode().startswith("Year,UNIT_MEASURE,")
        zf.extractall(tmp_path / "export")
    # re-import into the same database: nothing changes
    run = imports.import_repository(tmp_path / "export")
    assert run.errors == [] and (run.rows_created, run.rows_updated, run.rows_unchanged) == (0, 0, ROWS_STORED)
    assert _snapshot() == before
    # into a fresh database (no values, no indicators, no learned labels): the same data comes back
    wipe_imported()
    ImportedFile.objects.all().delete()
    DisaggregationLabel.objects.all().delete()
    run = imports.import_repository(tmp_path / "export")
    assert run.errors == [] and run.rows_created == ROWS_STORED
    after = _snapshot()
    assert after[0] == before[0] and after[1] == before[1] and after[2] == before[2]
    # and once more: every file is skipped as unchanged
    again = imports.import_repository(tmp_path / "export")
    assert again.files_unchanged == 206 and again.rows_unchanged == ROWS_STORED and again.rows_updated == 0


@pytest.mark.django_db
def test_region_export_holds_only_that_region(national, tmp_path):
    region = Region.objects.get(kato="150000000")
    files = value_service.repository_files(Indicator.objects.order_by("sort_key"), region)
    data = [text for path, text in files.items() if path.startswith("data/")]
    assert data and all(set(r.split(",")[-2] for r in t.splitlines()[1:] if r) <= {"KZAKT", "KZATB"} for t in data
                        if t.split("\n", 1)[0].split(",")[-2] == "REF_AREA")
    run = imports.import_repository(_write(files, tmp_path / "aktobe"))
    assert run.errors == [] and run.rows_created == 0 and run.rows_updated == 0


def _write(files: dict, root: Path) -> Path:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return root


# ---------------------------------------------------------------------------------------------------------------
# web import


@pytest.fixture
def stats_client(client, make_user, settings):
    client.force_login(make_user("stat", role="statistics"))
    return client


@pytest.mark.django_db
def test_web_import_of_the_bundled_set_shows_progress_and_report(national, stats_client):
    response = stats_client.post("/en/data/import/", {"source": "national"})
    assert response.status_code == 302
    run = ImportRun.objects.latest("started_at")
    assert response["Location"] == f"/en/data/import/{run.pk}/"
    assert run.status == ImportRun.Status.DONE and run.rows_unchanged == ROWS_STORED
    html = stats_client.get(response["Location"]).content.decode()
    assert "No errors." in html and "45,409" in html
    status = stats_client.get(f"/en/data/import/{run.pk}/status/").json()
    assert status["files_done"] == status["files_total"] == 273 and not status["running"]


@pytest.mark.django_db
def test_web_import_of_a_zip_lists_every_bad_row_in_the_users_language(national, stats_client):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("my-repo/data/indicator_1-2-97.csv", "Year,Value\n2020,1.5\n2021,x\n")
        zf.writestr("my-repo/data/indicator_1-2-98.csv", "Year,Value\n2020,1.5\n")
    buf.seek(0)
    buf.name = "repo.zip"
    response = stats_client.post("/ru/data/import/", {"source": "archive", "archive": buf})
    assert response.status_code == 302
    html = stats_client.get(response["Location"]).content.decode()
    assert "data/indicator_1-2-97.csv:3:" in html and "нечисловое значение" in html
    assert Indicator.objects.filter(code="1-2-98").exists() and not Indicator.objects.filter(code="1-2-97").exists()
    report = stats_client.get(response["Location"] + "report.txt")
    assert "data/indicator_1-2-97.csv:3:" in report.content.decode()


@pytest.mark.django_db
def test_web_import_of_repeated_keys_keeps_the_first_row_unless_strict(stats_client):
    """A zip that repeats a key, as the national platform's own files do: by default the first row is stored and
    the dropped one is listed as a warning with both lines and values; "strict" refuses the file."""
    def upload():
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("repo/data/indicator_1-2-96.csv", "Year,Value\n2020,1.5\n2021,2.0\n2020,1.7\n")
        buf.seek(0)
        buf.name = "repeated.zip"
        return buf

    response = stats_client.post("/en/data/import/", {"source": "archive", "archive": upload(), "strict": "on"})
    html = stats_client.get(response["Location"]).content.decode()
    assert "data/indicator_1-2-96.csv:4:" in html and not Indicator.objects.filter(code="1-2-96").exists()

    response = stats_client.post("/en/data/import/", {"source": "archive", "archive": upload()})
    run = ImportRun.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))
    assert run.errors == [] and run.rows_created == 2 and run.status == ImportRun.Status.DONE
    assert run.warnings == ["data/indicator_1-2-96.csv:4: duplicate key (year 2020, national, totals) first seen on "
                            "line 2 (line 2: 1.5, line 4: 1.7; different values); this row dropped"]
    values = IndicatorValue.objects.filter(indicator__code="1-2-96").order_by("year")
    assert [(v.year, v.value) for v in values] == [(2020, 1.5), (2021, 2.0)]
    html = stats_client.get(response["Location"]).content.decode()
    assert "line 2 has 1.5, line 4 has 1.7" in html


@pytest.mark.django_db
def test_web_import_refuses_a_file_that_is_not_a_zip(stats_client):
    runs = ImportRun.objects.count()
    upload = io.BytesIO(b"not a zip")
    upload.name = "data.zip"
    response = stats_client.post("/en/data/import/", {"source": "archive", "archive": upload})
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    assert ImportRun.objects.count() == runs


@pytest.mark.django_db
def test_only_statistics_officers_import(client, make_user):
    runs = ImportRun.objects.count()
    assert client.get("/en/data/import/").status_code == 302  # anonymous: login
    client.force_login(make_user("akim", role="akimat", region="100000000"))
    assert client.get("/en/data/import/").status_code == 403
    assert client.post("/en/data/import/", {"source": "national"}).status_code == 403
    assert ImportRun.objects.count() == runs


@pytest.mark.django_db
def test_load_demo_hook_is_idempotent(national):
    from django.apps import apps

    apps.get_app_config("localization").load_demo(io.StringIO())  # may add the demo's 1.2.1 target once
    out = io.StringIO()
    counts = (ImportRun.objects.count(), Indicator.history.count(), IndicatorValue.history.count())
    apps.get_app_config("localization").load_demo(out)
    assert "0 created, 0 updated" in out.getvalue() and "(0 failed)" in out.getvalue()
    assert (ImportRun.objects.count(), Indicator.history.count(), IndicatorValue.history.count()) == counts


@pytest.mark.django_db
def test_web_import_is_queued_and_a_worker_runs_it(national, stats_client, task_queue):
    """On the database queue the request only enqueues the import; the worker loop (django-tasks-db's, here in
    this process) runs it, and the progress page shows the outcome. tests/jobs/ runs real worker processes."""
    from django_tasks_db.models import DBTaskResult

    response = stats_client.post("/en/data/import/", {"source": "national"})
    run = ImportRun.objects.latest("started_at")
    assert response["Location"] == f"/en/data/import/{run.pk}/"
    assert run.status == ImportRun.Status.RUNNING and run.files_total == 0  # queued, not run by the request
    queued = DBTaskResult.objects.get()
    assert queued.status == "READY" and queued.args_kwargs["args"][:2] == ["localization.ImportRun", run.pk]
    # A second import waits for the first (which is queued, not stale).
    again = stats_client.post("/en/data/import/", {"source": "national"})
    assert again["Location"] == f"/en/data/import/{run.pk}/" and DBTaskResult.objects.count() == 1
    task_queue()
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE and run.rows_unchanged == ROWS_STORED
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    status = stats_client.get(f"/en/data/import/{run.pk}/status/").json()
    assert status["status"] == "done" and status["files_done"] == status["files_total"] == run.files_total > 200


@pytest.mark.django_db
def test_export_command_writes_a_repository_that_imports_unchanged(national, tmp_path):
    out = io.StringIO()
    call_command("export_opensdg", str(tmp_path / "site"), "--region", "KZ-AKT", stdout=out)
    assert "(region 150000000)" in out.getvalue()
    assert (tmp_path / "site" / "meta" / "1-2-1.md").read_text(encoding="utf-8").startswith("---\n")
    run = imports.import_repository(tmp_path / "site")
    assert run.errors == [] and (run.rows_created, run.rows_updated) == (0, 0) and run.rows_unchanged > 0
    with pytest.raises(CommandError):
        call_command("export_opensdg", str(tmp_path / "x"), "--region", "KZ-XXX", stdout=io.StringIO())
