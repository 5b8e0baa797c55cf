"""A foreign Open SDG data repository laid out differently from the national one (tests/localization/data/foreign-repo):
file names from its config_data.yml inputs, Russian column names translated through translations/, metadata in Excel
and Markdown front matter, an SDMX-ML file, regions by name, ISO 3166-2 code and KATO. Figures are invented."""
from pathlib import Path

import pytest

from localization.core import opensdg
from localization.models import DisaggregationLabel, ImportRun, Indicator, IndicatorValue
from localization.services import imports

FOREIGN = Path(__file__).parent / "data" / "foreign-repo"


@pytest.fixture(scope="module")
def codes():
    return opensdg.load_code_table()


@pytest.fixture(scope="module")
def repo(codes):
    return opensdg.read_repository(FOREIGN, codes=codes, duplicates="first")


@pytest.mark.parametrize("text, code", [
    ("KZ-AKT", "KZAKT"), ("KZ-15", "KZAKT"), ("150000000", "KZAKT"), ("KZ15", "KZ15"), ("Актюбинская область", "KZAKT"),
    ("Ақтөбе облысы", "KZAKT"), ("Aktobe Region", "KZAKT"), ("г. Алматы", "KZALA"), ("Алматы қаласы", "KZALA"),
    ("Almaty (city)", "KZALA"), ("Алматинская область", "KZALM"), ("KZ-ALA", "KZALA"), ("Шымкент", "KZSHY"),
    ("Республика Казахстан", ""), ("Kazakhstan", ""), ("Алматы", None), ("Сарыагашский район", None), ("KZALM", "KZALM"),
])
def test_region_codes_and_names_in_any_system(codes, text, code):
    """KATO, ISO 3166-2 alpha and numeric, kazstat codes and names in kk/ru/en; "Алматы" alone is ambiguous (the
    region in Kazakh, the city in Russian) and so is not guessed. KZ15 is a GeoCode alias in the code table itself."""
    assert codes.lookup(text) == code


def test_files_come_from_the_config_inputs_and_unreadable_ones_are_named(repo):
    assert repo.config == "config_data.yml"
    assert [(f.indicator_id, f.path) for f in repo.files] == [
        ("1-4-1", "data/1-4-1.csv"), ("3-1-1", "data/3-1-1.csv"), ("3-2-1", "data/3-2-1.csv"), ("6-1-1", "sdmx/6-1-1.xml")]
    skipped = [str(s) for s in repo.skipped]
    assert skipped[0].startswith("config_data.yml:0: input 5 (InputCkan) not read: supported are InputCsvData")
    assert skipped[1].startswith("sdmx/broken.xml:0: not readable as SDMX-ML (expected an SDMX 2.1 GenericData")
    assert skipped[2] == ("data/readme.csv:1: not read: not an Open SDG data file (expected a header with Year, the "
                          "disaggregation columns and Value)")
    assert len(skipped) == 3


def test_russian_columns_are_learned_and_region_names_mapped(repo):
    f = repo.file("1-4-1")
    assert f.ok and f.columns == ["REF_AREA", "Местность"]
    assert [str(w) for w in f.warnings] == ["data/1-4-1.csv:1: column 'Территория' read as REF_AREA (region names)"]
    got = list(zip(f.frame.year, f.frame.region_code, f.frame.dims, f.frame.value))
    assert got[:4] == [(2021, "", "", 91.5), (2021, "", "Местность=город", 95.2), (2021, "", "Местность=село", 86.1),
                       (2021, "KZAKT", "", 92.4)]
    assert (2021, "KZALA", "", 98.7) in got
    labels = repo.column_labels()
    assert labels[("Местность", "")] == {"kk": "Жергілікті жер", "ru": "Местность", "en": "Locality"}
    assert labels[("Местность", "село")] == {"kk": "Ауыл", "ru": "Село", "en": "Rural"}


def test_geocodes_in_iso_and_kato_are_mapped_and_unknown_units_reported_by_line(repo):
    f = repo.file("3-1-1")
    assert f.ok and set(f.frame.region_code) == {"", "KZAKT", "KZALA"}
    # KZ-AKT and KZ-15 are the same region: the second row repeats the key, and is reported, not silently dropped
    assert [w.line for w in f.warnings] == [4] and "duplicate key" in f.warnings[0].reason
    bad = repo.file("3-2-1")
    assert [str(e) for e in bad.errors] == ["data/3-2-1.csv:3: unknown region code 'Сарыагашский район' in REF_AREA"]


def test_metadata_from_excel_and_markdown_front_matter(repo):
    assert repo.meta["1-4-1"]["computation_units"] == "PT"
    assert repo.meta["1-4-1"]["graph_title"] == "Доля населения, имеющего доступ к базовым услугам"
    assert repo.meta["3-1-1"]["indicator_name"] == "Maternal mortality ratio"
    assert [str(e) for e in repo.metadata_errors] == ["meta/3-2-1.md:1: no YAML front matter (expected a first line '---')"]


def test_sdmx_ml_is_read_with_sdmx1(repo):
    f = repo.file("6-1-1")
    assert f.ok
    assert list(zip(f.frame.year, f.frame.region_code, f.frame.unit, f.frame.dims, f.frame.value)) == [
        (2021, "", "PT", "", 95.1), (2022, "", "PT", "", 95.6), (2022, "KZAKT", "PT", "URBANISATION=R", 88.25)]


def test_a_repository_without_data_says_what_it_expected(tmp_path, codes):
    (tmp_path / "meta").mkdir()
    repo = opensdg.read_repository(tmp_path, codes=codes)
    assert repo.files == [] and repo.skipped == []


@pytest.mark.django_db
def test_import_of_the_foreign_repository(make_user):
    run = imports.import_repository(FOREIGN)
    assert run.files_total == 4 and run.files_failed == 2  # 3-2-1: an unknown district; meta/3-2-1.md unreadable
    assert "data/3-2-1.csv:3: unknown region code 'Сарыагашский район' in REF_AREA" in run.errors
    assert "meta/3-2-1.md:1: no YAML front matter (expected a first line '---')" in run.errors
    assert any(w.startswith("sdmx/broken.xml:0: not readable as SDMX-ML") for w in run.warnings)
    assert any(w.startswith("config_data.yml:0: input 5 (InputCkan) not read") for w in run.warnings)
    assert any(w.startswith("data/readme.csv:1: not read") for w in run.warnings)
    assert run.rows_created == 9 + 4 + 3
    value = IndicatorValue.objects.get(indicator__code="1-4-1", year=2022, region__kato="150000000", dims="Местность=город")
    assert value.value == 96.0 and value.disaggregation == {"Местность": "город"} and value.source_file == "data/1-4-1.csv"
    assert IndicatorValue.objects.get(indicator__code="6-1-1", year=2022, area_code="KZAKT").value == 88.25
    indicator = Indicator.objects.get(code="3-1-1")
    assert indicator.title_ru == "Коэффициент материнской смертности" and indicator.title_en == "Maternal mortality ratio"
    assert indicator.unit == "PER_100000"
    assert not Indicator.objects.filter(code="3-2-1").exists()
    learned = {(d.column, d.code): (d.label_kk, d.label_ru, d.label_en) for d in DisaggregationLabel.objects.all()}
    assert learned[("Показатель", "Материнская смертность")] == ("Ана өлімі", "Материнская смертность", "Maternal mortality")
    assert learned[("Местность", "")] == ("Жергілікті жер", "Местность", "Locality")
    # Again: the files that went in are skipped by their content hash; the refused ones are read (and refused) again.
    again = imports.import_repository(FOREIGN)
    assert (again.files_unchanged, again.rows_created, again.rows_updated) == (3, 0, 0)
    assert again.status == ImportRun.Status.FAILED and again.files_failed == 2


@pytest.mark.parametrize("message, expected", [
    ("data/1-4-1.csv:1: column 'Территория' read as REF_AREA (region names)",
     "data/1-4-1.csv:1: столбец 'Территория' прочитан как столбец региона (названия регионов)"),
    ("data/readme.csv:1: not read: not an Open SDG data file (expected a header with Year, the disaggregation columns and Value)",
     "data/readme.csv:1: не прочитан: это не файл данных Open SDG (ожидалась строка заголовка с Year, столбцами дезагрегации и Value)"),
    ("meta/3-2-1.md:1: no YAML front matter (expected a first line '---')",
     "meta/3-2-1.md:1: нет YAML front matter (первая строка должна быть '---')"),
])
def test_report_lines_are_shown_in_the_users_language(message, expected):
    from django.utils import translation

    with translation.override("ru"):
        assert imports.localize_error(message) == expected


@pytest.mark.django_db
def test_command_on_a_folder_without_data_says_what_it_expected(tmp_path):
    import io

    from django.core.management import CommandError, call_command

    (tmp_path / "repo" / "meta").mkdir(parents=True)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_opensdg", str(tmp_path / "repo"), stdout=out, stderr=err)
    assert "0 files, 0 imported, 0 unchanged (skipped), 1 failed" in out.getvalue() and "-1 imported" not in out.getvalue()
    assert err.getvalue().strip() == ("repo/data/:0: no data file found (expected data/indicator_<id>.csv files, or the "
                                      "inputs listed in config_data.yml)")


@pytest.mark.django_db
def test_web_import_of_the_foreign_repository_as_a_zip(client, make_user, settings):
    import io
    import zipfile

    settings.DATA_IMPORT_IN_THREAD = False
    client.force_login(make_user("stat", role="statistics"))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path in sorted(FOREIGN.rglob("*")):
            if path.is_file():
                zf.write(path, "foreign-repo/" + path.relative_to(FOREIGN).as_posix())
    buf.seek(0)
    buf.name = "foreign.zip"
    response = client.post("/ru/data/import/", {"source": "archive", "archive": buf})
    assert response.status_code == 302
    run = ImportRun.objects.latest("started_at")
    assert run.rows_created == 16 and run.files_total == 4
    html = client.get(response["Location"]).content.decode()
    assert "столбец &#x27;Территория&#x27; прочитан как столбец региона" in html or "столбец 'Территория' прочитан" in html


STRUCTURE_SPECIFIC = """<?xml version="1.0" encoding="UTF-8"?>
<message:StructureSpecificData xmlns:message="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
  xmlns:ss="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific"
  xmlns:ns1="urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=IAEG-SDGs:SDG(1.0):ObsLevelDim:AllDimensions"
  xmlns:common="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <message:Header><message:ID>T1</message:ID><message:Test>true</message:Test>
    <message:Prepared>2024-01-01T00:00:00</message:Prepared><message:Sender id="KZ"/>
    <message:Structure structureID="SDG" dimensionAtObservation="AllDimensions"
      namespace="urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=IAEG-SDGs:SDG(1.0):ObsLevelDim:AllDimensions">
      <common:Structure><Ref agencyID="IAEG-SDGs" id="SDG" version="1.0"/></common:Structure></message:Structure>
  </message:Header>
  <message:DataSet ss:structureRef="SDG" xsi:type="ns1:DataSetType" ss:dataScope="DataStructure">
    <Obs INDICATOR="C060101" REF_AREA="KZ" SEX="_T" TIME_PERIOD="2020" OBS_VALUE="95.1"/>
    <Obs INDICATOR="C060101" REF_AREA="KZ-AKT" SEX="_T" TIME_PERIOD="2021" OBS_VALUE="88.25"/>
    <Obs INDICATOR="C010A01" REF_AREA="KZ" SEX="F" TIME_PERIOD="2021" OBS_VALUE="12"/>
  </message:DataSet>
</message:StructureSpecificData>
"""


@pytest.mark.parametrize("code, expected", [("1.4.1", "1-4-1"), ("C060101", "6-1-1"), ("C010A01", "1-a-1"),
                                            ("C170301", "17-3-1"), ("17.3.1.3", "17-3-1-3")])
def test_sdmx_indicator_codes_of_the_global_sdg_structure(code, expected):
    from localization.core.opensdg.sdmxml import indicator_id

    assert indicator_id(code) == expected


def test_a_structure_specific_sdmx_message_without_its_dsd_is_read(tmp_path):
    """The global SDG structure-specific layout (observations as attributes, no DSD at hand) reads like generic."""
    from localization.core.opensdg.sdmxml import sdmx_to_csv

    path = tmp_path / "sdg.xml"
    path.write_text(STRUCTURE_SPECIFIC, encoding="utf-8")
    texts, errors = sdmx_to_csv(path, "sdmx/sdg.xml", "x")
    assert errors == []
    assert dict(texts) == {
        "1-a-1": "Year,REF_AREA,SEX,Value\n2021,KZ,F,12\n",
        "6-1-1": "Year,REF_AREA,SEX,Value\n2020,KZ,,95.1\n2021,KZ-AKT,,88.25\n",
    }
