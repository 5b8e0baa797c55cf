"""Security 5: an XLSX upload bomb (100k rows x 50 columns, small on disk) is refused with a message, nothing changes."""
import io
import zipfile

import pytest
from django.utils import translation

from localization.models import Goal, Indicator, IndicatorValue
from localization.services import values as value_service
from tests.test_api_support import token_client

pytestmark = pytest.mark.django_db
ABAI = "100000000"

PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
}


def bomb(rows=100_000, columns=50) -> bytes:
    """A valid XLSX with rows x columns numeric cells, written as a deflated stream (small on disk)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                        b'spreadsheetml/2006/main"><sheetData>')
            cells = b"<c><v>1</v></c>" * columns
            for _ in range(rows):
                sheet.write(b"<row>" + cells + b"</row>")
            sheet.write(b"</sheetData></worksheet>")
    return buf.getvalue()


@pytest.fixture
def setup(make_user):
    Indicator.objects.create(code="1-2-1", sort_key="01.02.01", goal=Goal.objects.get(number=1), title_en="Poverty",
                             unit="PT")
    return make_user("akim-abai", role="akimat", region=ABAI)


def test_the_bomb_is_small_and_refused_through_the_page(client, setup):
    data = bomb()
    assert len(data) < 1024 * 1024  # well under the 5 MB upload limit
    client.force_login(setup)
    f = io.BytesIO(data)
    f.name = "bomb.xlsx"
    response = client.post(f"/en/data/regions/{ABAI}/values/upload/", {"indicator": "1-2-1", "file": f})
    html = response.content.decode()
    assert response.status_code == 200 and "Nothing was imported" in html
    assert "bomb.xlsx:0: the file unpacks to" in html
    assert not IndicatorValue.objects.exists()


def test_the_bomb_is_a_400_in_the_api(setup):
    api = token_client(setup)
    f = io.BytesIO(bomb())
    f.name = "bomb.xlsx"
    response = api.post("/api/v1/values/upload/?lang=en", {"indicator": "1-2-1", "region": ABAI, "file": f}, format="multipart")
    assert response.status_code == 400
    assert "unpacks to" in response.content.decode()
    assert not IndicatorValue.objects.exists()


def test_rows_and_cells_are_capped_while_streaming(monkeypatch):
    translation.activate("en")
    monkeypatch.setattr(value_service, "MAX_XLSX_UNCOMPRESSED", 10**12)  # past the declared-size check
    monkeypatch.setattr(value_service, "MAX_XLSX_RATIO", 10**9)
    with pytest.raises(value_service.TooLarge, match="cells"):
        value_service.xlsx_to_csv_text(bomb(rows=10_000, columns=50))
    monkeypatch.setattr(value_service, "MAX_XLSX_CELLS", 10**9)
    with pytest.raises(value_service.TooLarge, match="rows"):
        value_service.xlsx_to_csv_text(bomb(rows=30_000, columns=1))
    assert value_service.xlsx_to_csv_text(bomb(rows=3, columns=2)) == "1,1\n1,1\n1,1\n"
