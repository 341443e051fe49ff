"""The energy, data and report screens without a browser, on SQLite and PostgreSQL: imports
from the data page are all or nothing (a savepoint; PostgreSQL included), a viewer cannot
import, and no page shows anything of another organization's facility."""

import re
from datetime import date

import pytest

from lingtan.imports.template import write_workbook
from lingtan.store.models import ActivityRecord
from web_support import ALPHA_MARKERS, build_site, snapshot

UPLOAD_LIMIT = 64 * 1024


@pytest.fixture
def site(database_url, tmp_path):
    built = build_site(database_url, tmp_path, max_upload_bytes=UPLOAD_LIMIT)
    yield built
    built.close()


def workbook(tmp_path, amount) -> bytes:
    sheets = {
        "活动数据 Activity": [["grid", date(2025, 3, 1), date(2025, 3, 31), amount, "MWh", "meter"]]
    }
    return write_workbook(tmp_path / "activity.xlsx", sheets).read_bytes()


def post(client, csrf, path, content, name="activity.xlsx"):
    return client.post(path, files={"file": (name, content)}, data={"csrf_token": csrf})


def test_an_import_from_the_page_is_all_or_nothing(site, tmp_path):
    client, csrf = site.client("manager_a")
    before = snapshot(site)
    refused = post(client, csrf, "/data/activity?facility=ALPHA-PLANT", workbook(tmp_path, -800))
    assert refused.status_code == 422
    cells = re.findall(
        r"<td>(.*?)</td>", refused.text.split('id="problems"')[1].split("</table>")[0]
    )
    assert cells[0] == "activity.xlsx 工作表 活动数据 Activity 第 2 行"  # the page is in Chinese
    assert cells[-1] == "不得为负数"  # must not be negative
    assert snapshot(site) == before

    done = post(client, csrf, "/data/activity?facility=ALPHA-PLANT", workbook(tmp_path, 800))
    assert done.status_code == 200 and "已导入" in done.text
    assert site.count(ActivityRecord) == before["records"] + 1

    bad = b"meter,timestamp,value\nE-MAIN,2025-03-05T00:00:00Z,lots\n"
    refused = post(client, csrf, "/data/meter-readings?facility=ALPHA-PLANT", bad, "r.csv")
    assert refused.status_code == 422 and "r.csv 第 2 行" in refused.text
    assert "无法解析的数值" in refused.text  # unparsable value
    too_big = post(
        client,
        csrf,
        "/data/meter-readings?facility=ALPHA-PLANT",
        b"x" * (UPLOAD_LIMIT + 1),
        "b.csv",
    )
    assert too_big.status_code == 422 and f"文件超过 {UPLOAD_LIMIT} 字节" in too_big.text  # zh-CN
    # without the session's CSRF token nothing is imported
    assert post(client, "wrong", "/data/activity?facility=ALPHA-PLANT", b"x").status_code == 403


def test_viewers_cannot_import_and_other_organizations_see_nothing(site, tmp_path):
    before = snapshot(site)
    viewer, csrf = site.client("viewer_a")
    page = viewer.get("/data?facility=ALPHA-PLANT")
    assert page.status_code == 200 and 'type="file"' not in page.text and "E-MAIN" in page.text
    assert (
        post(
            viewer, csrf, "/data/activity?facility=ALPHA-PLANT", workbook(tmp_path, 800)
        ).status_code
        == 403
    )

    other, csrf_b = site.client("manager_b")
    for path in (
        "/energy?facility=ALPHA-PLANT&year=2025",
        "/data?facility=ALPHA-PLANT",
        "/data/meters/E-MAIN?facility=ALPHA-PLANT",
        "/reports?facility=ALPHA-PLANT",
    ):
        answer = other.get(path)
        assert answer.status_code == 404, path
        assert not any(marker in answer.text for marker in ALPHA_MARKERS), path
    forced = post(other, csrf_b, "/data/activity?facility=ALPHA-PLANT", workbook(tmp_path, 800))
    assert forced.status_code == 404
    assert snapshot(site) == before
    for path in ("/energy", "/data", "/reports"):  # their own facility
        answer = other.get(path)
        assert answer.status_code == 200 and "BETA-PLANT" in answer.text, path


def test_the_data_page_counts_the_problems_it_does_not_list(site, tmp_path):
    client, csrf = site.client("manager_a")
    rows = [["nope", "2025-13-01", date(2025, 3, 31), -1, "MWh", "meter"]] * 40  # 3 problems each
    content = write_workbook(tmp_path / "bad.xlsx", {"活动数据 Activity": rows}).read_bytes()
    refused = post(client, csrf, "/data/activity?facility=ALPHA-PLANT", content)
    assert refused.status_code == 422
    table = refused.text.split('id="problems"')[1].split("</table>")[0]
    assert table.count("<tr><td>") == 100
    assert "还有 20 个问题未列出" in refused.text
