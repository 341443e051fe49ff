"""Storing a plan from the planning page (issue 13): a problem file uploaded is solved under
the heavy requests' admission, stored as ``plan size --store`` stores it and shown; a refused
file names its problems as the command line does (in Chinese on zh-CN) and stores nothing;
viewers may not store; a load of another facility and a file beside the problem are refused."""

import asyncio
import re

import pytest
import sqlalchemy as sa

from lingtan.demo.build import FACILITY
from lingtan.errors import InputError
from lingtan.i18n.catalog import texts
from lingtan.imports.load import facility_by_code
from lingtan.services.planning import read_plan, stored_plan
from lingtan.store.db import make_engine, session_scope
from lingtan.store.models import Organization, StoredPlan
from lingtan.web import accounts
from lingtan.web.admission import HEAVY_PATHS, HEAVY_POSTS, Admission
from lingtan.web.app import create_app
from web_support import PASSWORD, Site

PATH = f"/planning/plans?facility={FACILITY}"


@pytest.fixture(scope="module")
def site(demo_copy, tmp_path_factory):
    folder = tmp_path_factory.mktemp("web-planning-store")
    url = demo_copy(folder)
    engine = make_engine(url)
    with session_scope(engine) as session:
        organization = session.get(
            Organization, facility_by_code(session, FACILITY).organization_id
        )
        for name, role in (("planner", "manager"), ("reader", "viewer")):
            accounts.create_user(session, name, PASSWORD, role=role,
                                 organization=organization.name, facilities=(FACILITY,),
                                 actor="setup")  # fmt: skip
        demo_text = stored_plan(session, 1).problem_text
    built = Site(url, engine, create_app(url, evidence_dir=folder / "lingtan-evidence"),
                 folder / "lingtan-evidence")  # fmt: skip
    built.ids["text"] = demo_text
    yield built
    built.close()


def _post(client, csrf, text, filename="plan.yaml", **data):
    content = text.encode("utf-8") if isinstance(text, str) else text
    return client.post(PATH, files={"file": (filename, content)},
                       data={"csrf_token": csrf, **data}, follow_redirects=False)  # fmt: skip


def _problems(page: str) -> list[list[str]]:
    body = page.split('id="problems"')[1].split("</table>")[0]
    return [re.findall(r"<td>(?:<code>)?(.*?)(?:</code>)?</td>", row)
            for row in body.split("<tr>")[2:]]  # fmt: skip


def _plans(site) -> int:
    with session_scope(site.engine) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(StoredPlan))


def test_the_solve_is_a_heavy_request():
    assert HEAVY_POSTS.fullmatch("/planning/plans")
    assert not HEAVY_PATHS.fullmatch("/planning")  # the page itself reads stored results


def test_a_bad_file_is_refused_with_the_command_lines_problems_in_chinese(site, tmp_path):
    client, csrf = site.client("planner")
    before = _plans(site)
    text = (
        site.ids["text"]
        .replace("soc_min: 0.05", "soc_min: 0.99")
        .replace("discount_rate: 0.06", "discount_rate: high")
    )
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    with session_scope(site.engine) as session, pytest.raises(InputError) as cli:
        read_plan(session, path)  # what lingtan plan size says
    refused = _post(client, csrf, text)
    assert refused.status_code == 422
    zh = texts("zh-CN")
    shown = _problems(refused.text)
    assert [(row[1], row[3]) for row in shown] == [
        (p.field, zh.message(p.rule)) for p in cli.value.problems
    ]
    assert ["plan.yaml", "finance.discount_rate", "high", "必须是数字"] in shown
    assert _plans(site) == before
    english = client.post(PATH, files={"file": ("plan.yaml", text.encode())},
                          data={"csrf_token": csrf}, headers={"Accept-Language": "en"})  # fmt: skip
    assert english.status_code == 422 and "must be a number" in english.text


def test_files_beside_it_other_facilities_kinds_and_steps_are_refused(site):
    client, csrf = site.client("planner")
    before = _plans(site)
    text = site.ids["text"]
    other = text.replace(f"facility: {FACILITY}", "facility: ELSEWHERE")
    answer = _post(client, csrf, other)
    assert answer.status_code == 422
    assert ["plan.yaml", "load.facility", "ELSEWHERE",
            f"是本页以外的另一设施（{FACILITY}）"] in _problems(answer.text)  # fmt: skip
    csv = re.sub(r"load:\n(  .*\n)+", "load:\n  file: load.csv\n", text)
    answer = _post(client, csrf, csv)
    assert answer.status_code == 422 and "load.file" in answer.text
    quarter = text.replace("step_minutes: 60", "step_minutes: 15")
    answer = _post(client, csrf, quarter)
    assert answer.status_code == 422
    assert "35040 步超过本页可求解的上限" in answer.text
    answer = _post(client, csrf, text, filename="plan.txt")
    assert answer.status_code == 422 and "plan.txt" in answer.text
    answer = _post(client, csrf, b"\xff\xfe")
    assert answer.status_code == 422 and "不是 UTF-8 文本" in answer.text
    viewer, viewer_csrf = site.client("reader")
    assert _post(viewer, viewer_csrf, text).status_code == 403
    assert _post(client, "wrong", text).status_code == 403
    assert _plans(site) == before


def test_a_plan_is_solved_stored_and_shown(site):
    client, csrf = site.client("planner")
    page = client.get(f"/planning?facility={FACILITY}")
    assert 'id="store-plan"' in page.text and "求解并保存" in page.text
    viewer, _ = site.client("reader")
    assert 'id="store-plan"' not in viewer.get(f"/planning?facility={FACILITY}").text
    text = site.ids["text"].replace("energy_capex_cny_per_kwh: 900",
                                    "energy_capex_cny_per_kwh: 1200")  # fmt: skip
    answer = _post(client, csrf, text, filename="dearer.yaml", name="储能 1200 元/kWh")
    assert answer.status_code == 303, answer.text
    plan_id = int(answer.headers["location"].rsplit("plan=", 1)[1])
    assert answer.headers["location"] == f"/planning?facility={FACILITY}&plan={plan_id}"
    with session_scope(site.engine) as session:
        row = stored_plan(session, plan_id)
        assert row.name == "储能 1200 元/kWh" and row.problem_file == "upload:dearer.yaml"
        assert row.facility_id == facility_by_code(session, FACILITY).id
        assert row.problem_text == text and row.created_by == "planner"
        assert row.result["solver_status"] == "ok" and row.result["solve_s"] > 0
        demo = stored_plan(session, 1).result
        assert row.result["battery_kwh"] <= demo["battery_kwh"] + 1e-6  # dearer storage
    shown = client.get(answer.headers["location"])
    assert shown.status_code == 200 and f'data-plan="{plan_id}"' in shown.text


def test_a_second_solve_waits_for_the_heavy_place_and_is_answered_503():
    """Driven by ASGI messages: one heavy place, taken by a solve; a second solve waits its
    0.05 s and gets the 503; a light post (another form) runs beside them."""
    release, calls = asyncio.Event(), []

    async def slow_app(scope, receive, send):
        calls.append((scope["method"], scope["path"]))
        if scope["path"] == "/planning/plans":
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    admission = Admission(slow_app, light=4, heavy=1, queue=4, wait_s=0.05, deadline_s=60)

    def post(path):
        return {"type": "http", "method": "POST", "path": path, "headers": [],
                "query_string": b""}  # fmt: skip

    async def scenario():
        sent: dict[str, list] = {"a": [], "b": [], "c": []}

        def sender(key):
            async def send(message):
                sent[key].append(message)

            return send

        async def stays():
            await asyncio.Event().wait()

        first = asyncio.ensure_future(admission(post("/planning/plans"), stays, sender("a")))
        await asyncio.sleep(0.01)
        await asyncio.wait_for(admission(post("/planning/plans"), stays, sender("b")), 5)
        await asyncio.wait_for(admission(post("/data/activity"), stays, sender("c")), 5)
        status = {k: [m["status"] for m in v if m["type"] == "http.response.start"]
                  for k, v in sent.items()}  # fmt: skip
        assert status == {"a": [], "b": [503], "c": [200]}
        assert calls == [("POST", "/planning/plans"), ("POST", "/data/activity")]
        release.set()
        await asyncio.wait_for(first, timeout=5)
        assert [m["status"] for m in sent["a"] if m["type"] == "http.response.start"] == [200]

    asyncio.run(scenario())
