"""The streamed JSON of ``lingtan calc --format json`` is, byte for byte, the document of
``result_to_dict`` as orjson writes it, whatever the lines hold."""

import io

import orjson
from hypothesis import given, settings

from conftest import run
from lingtan.accounting.model import Flow, Instrument, Source
from lingtan.accounting.serialize import line_to_dict, result_to_dict, write_result_json
from test_properties import sources


def _streamed(result) -> bytes:
    out = io.BytesIO()
    write_result_json(result, out)
    return out.getvalue()


def _document(result) -> bytes:
    return orjson.dumps(result_to_dict(result), option=orjson.OPT_NON_STR_KEYS) + b"\n"


#: Texts that JSON must escape, or that look like formatting or like JSON between texts.
AWKWARD = ('a "quoted", name', "100 % natural gas %s %(x)s", "ends with \\", '","', "锅炉 1#")


def test_stream_equals_the_document_for_every_branch():
    items = (
        Source("g1", "fuel_combustion", 1000, "Nm3", name=AWKWARD[0], fuel="natural_gas"),
        Source("g2", "fuel_combustion", 2000.5, "Nm3", name=AWKWARD[1], fuel="natural_gas",
               uncertainty_pct=5),  # the same group but one gives an uncertainty
        Source("g3", "fuel_combustion", 12, "t", fuel="bituminous_coal", ncv=20.9,
               ncv_unit="GJ/t"),  # a measured NCV: a factor value per source
        Source("g4", "fuel_combustion", 14, "t", fuel="bituminous_coal", ncv=22.1,
               ncv_unit="GJ/t", name=AWKWARD[2]),
        Source(AWKWARD[3], "purchased_electricity", 500, "MWh", name=AWKWARD[4]),
        Source("e2", "purchased_electricity", 250, "MWh", region="Zhejiang"),
        Source("f1", "fugitive", 3, "kg", gas="R-410A"),
        Source("m1", "process_mass_balance", inputs=(Flow("coal", 100, "t", 0.8),),
               outputs=(Flow("product", 50_000, "kg", 0.5),)),
        Source("o1", "other", 7, "t", factor=2.5, factor_unit="kgCO2e/t", scope=3, category=1),
        Source("h1", "purchased_heat", 40, "t", medium="steam", enthalpy=2800),
    )  # fmt: skip
    result = run(*items, instruments=(Instrument("gec", "gec", 300, "MWh"),))
    streamed = _streamed(result)
    assert streamed == _document(result)
    lines = orjson.loads(streamed)["lines"]
    assert [line["source_id"] for line in lines] == [s.id for s in items]  # in input order
    assert [line["name"] for line in lines[:2]] == list(AWKWARD[:2])
    assert "uncertainty_pct" not in lines[0]["source"] and lines[1]["source"]["uncertainty_pct"]
    ncv = [[use["value"] for use in line["factors"] if "NCV" in use["role"]] for line in lines[2:4]]
    assert ncv == [[20.9], [22.1]]
    assert lines[7]["source"]["inputs"] == [
        {"name": "coal", "quantity": 100, "unit": "t", "carbon_fraction": 0.8}
    ]
    # one line alone gives the same mapping as within its group
    assert [line_to_dict(line) for line in result.lines] == result_to_dict(result)["lines"]


@settings(max_examples=40, deadline=None)
@given(sources())
def test_stream_equals_the_document(items):
    result = run(*items)
    assert _streamed(result) == _document(result)
