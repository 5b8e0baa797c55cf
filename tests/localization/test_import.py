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
from django.db import connection

from localization.models import ImportRun, Indicator, IndicatorValue, Region
from localization.services import imports
from localization.services import values as value_service

NATIONAL = imports.NATIONAL_REPOSITORY
ROWS_READ = 45_585  # non-blank data lines in the 273 CSV files
ROWS_STORED = 45_409  # ROWS_READ - 5 rows without a value - 171 later copies of a repeated key


def _wipe():
    """Remove everything an import writes (raw DELETE: 45k ORM deletes would each write a history row)."""
    with connection.cursor() as cursor:
        for model in (IndicatorValue.history.model, IndicatorValue, Indicator.history.model):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
    Indicator.targets.through.objects.all().delete()
    Indicator.objects.all().delete()
    Indicator.history.all().delete()
    ImportRun.objects.all().delete()


@pytest.fixture(scope="module")
def national(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        _wipe()
        run = imports.import_repository(NATIONAL)
        yield run
        _wipe()


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
    write_csv(root, "1-2-92", "Year,UNIT_MEASURE,COLOUR,Value\n2020,PT,red,5.1\n")  # unknown column
    write_csv(root, "1-2-93", "Year,UNIT_MEASURE,REF_AREA,Value\n2020,PT,,5.1\n2021,PT,,five\n2022,PT,,5.3\n")  # non-numeric
    write_csv(root, "1-2-94", "Year,UNIT_MEASURE,SEX,Value\n2020,PT,F,5.1\n2020,PT,M,4.0\n2020,PT,F,5.9\n")  # duplicate key
    write_csv(root, "1-2-95", "Year,UNIT_MEASURE,REF_AREA,Value\n2020,PT,KZABY,5.1\n2020,PT,KZXXX,4.0\n")  # unknown code
    before = IndicatorValue.objects.count()
    run = imports.import_repository(root)
    assert run.status == ImportRun.Status.FAILED
    assert (run.files_total, run.files_failed) == (5, 4)
    errors = "\n".join(run.errors)
    assert "data/indicator_1-2-92.csv:1: unknown column 'COLOUR'" in errors
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
    assert "273 files, 273 imported, 0 failed" in out.getvalue() and "0 created, 0 updated" in out.getvalue()


@pytest.mark.django_db
def test_export_then_import_gives_back_identical_data(national, tmp_path):
    fields = ["indicator__code", "year", "area_code", "unit", "series", "dims", "value", "region_id", "territory", "disaggregation"]
    before = sorted(map(repr, IndicatorValue.objects.values_list(*fields)))
    archive = value_service.csv_zip(Indicator.objects.order_by("sort_key"))
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        with_data = Indicator.objects.filter(values__isnull=False).distinct().count()
        assert len([n for n in zf.namelist() if n.startswith("data/indicator_")]) == with_data == 206
        zf.extractall(tmp_path / "export")
    with connection.cursor() as cursor:  # TRUNCATE on PostgreSQL: re-inserting over deleted rows is slow there
        verb = "TRUNCATE" if connection.vendor == "postgresql" else "DELETE FROM"
        cursor.execute(f"{verb} {IndicatorValue._meta.db_table}")
    run = imports.import_repository(tmp_path / "export")
    assert run.errors == [] and run.rows_created == ROWS_STORED
    after = sorted(map(repr, IndicatorValue.objects.values_list(*fields)))
    assert after == before
    # A data-only repository leaves the indicator metadata alone.
    assert Indicator.objects.get(code="1-2-1").unit_ru == "процент"


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
def test_web_import_of_repeated_keys_refuses_the_file_unless_told_to_keep_the_first(stats_client):
    """A zip that repeats a key, as the national platform's own files do: refused by default; with "keep the first"
    the first row is stored and the dropped one is listed as a warning."""
    def upload():
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("repo/data/indicator_1-2-96.csv", "Year,Value\n2020,1.5\n2021,2.0\n2020,1.7\n")
        buf.seek(0)
        buf.name = "repeated.zip"
        return buf

    response = stats_client.post("/en/data/import/", {"source": "archive", "archive": upload()})
    html = stats_client.get(response["Location"]).content.decode()
    assert "data/indicator_1-2-96.csv:4:" in html and not Indicator.objects.filter(code="1-2-96").exists()

    response = stats_client.post("/en/data/import/", {"source": "archive", "archive": upload(), "keep_first": "on"})
    run = ImportRun.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))
    assert run.errors == [] and run.rows_created == 2
    assert [w for w in run.warnings if w.startswith("data/indicator_1-2-96.csv:4:")]
    values = IndicatorValue.objects.filter(indicator__code="1-2-96").order_by("year")
    assert [(v.year, v.value) for v in values] == [(2020, 1.5), (2021, 2.0)]


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
