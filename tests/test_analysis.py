"""`opcompat.analysis.check` / `check_many` and `opcompat check --format json` on written models."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from builders import ModelBuilder

from opcompat.analysis import DEFAULT_API_LEVEL, check, check_many
from opcompat.cli import main
from opcompat.errors import ModelReadError, UsageError
from opcompat.formats.json import report_to_dict
from opcompat.report import ModelError, ModelReport


def chain_model(kinds: str) -> bytes:
    """A chain of unary ops on a [1, 4] float input: 'S' RELU (supported everywhere),
    'E' ELU (API 30+), 'U' GELU (never)."""
    mb = ModelBuilder()
    sg = mb.subgraph("main")
    cur = sg.tensor([1, 4], "FLOAT32", name="x")
    first = cur
    for k in kinds:
        nxt = sg.tensor([1, 4], "FLOAT32")
        sg.op({"S": "RELU", "E": "ELU", "U": "GELU"}[k], [cur], [nxt], options=None)
        cur = nxt
    sg.inputs, sg.outputs = [first], [cur]
    return mb.build()


@pytest.fixture
def model_file(tmp_path: Path):  # type: ignore[no-untyped-def]
    def write(kinds: str, name: str = "m.tflite") -> Path:
        p = tmp_path / name
        p.write_bytes(chain_model(kinds))
        return p

    return write


def test_check_reports_every_operator(model_file) -> None:  # type: ignore[no-untyped-def]
    path = model_file("SSUSE")
    rep = check(path, api_level=30)
    assert isinstance(rep, ModelReport)
    assert rep.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [o.op for o in rep.operators] == ["RELU", "RELU", "GELU", "RELU", "ELU"]
    assert [o.supported for o in rep.operators] == [True, True, False, True, True]
    assert [o.delegated for o in rep.operators] == [True, True, False, True, True]
    assert rep.partitions == ((0, 1), (3, 4))
    assert [o.partition for o in rep.operators] == [0, 0, None, 1, 1]
    assert [o.first_api_level for o in rep.operators] == [27, 27, None, 27, 30]
    assert rep.operators[0].nnapi_operations == ("RELU",)
    assert rep.min_api_level is None
    assert rep.refusal is None and rep.status == "kTfLiteOk"


def test_min_api_level_is_the_first_fully_delegated_level(model_file) -> None:  # type: ignore[no-untyped-def]
    assert check(model_file("SE"), api_level=27).min_api_level == 30
    assert check(model_file("SS"), api_level=35).min_api_level == 27


def test_partition_cap_drops_the_smallest_and_says_why(model_file) -> None:  # type: ignore[no-untyped-def]
    path = model_file("SUSSUSSSUS")
    rep = check(path, api_level=30)
    # (0,) and (9,) tie for third place: below 17 partitions std::sort keeps plan order.
    assert sorted(rep.partitions) == [(0,), (2, 3), (5, 6, 7)]
    dropped = [o for o in rep.operators if o.supported and not o.delegated]
    assert [o.index for o in dropped] == [9]
    assert dropped[0].reasons[-1].code == "opcompatPartitionDropped"
    assert [p.nodes for p in rep.subgraphs[0].dropped_partitions] == [(9,)]
    unlimited = check(path, api_level=30, max_partitions=0)
    assert len(unlimited.partitions) == 4
    assert check(path, api_level=30, max_partitions=1).partitions == ((5, 6, 7),)

def test_first_api_level_is_where_the_operator_is_delegated(model_file) -> None:  # type: ignore[no-untyped-def]
    # Operator 9 is supported from API 27 on, but its partition is dropped at every level.
    levels = [o.first_api_level for o in check(model_file("SUSSUSSSUS"), api_level=30).operators]
    assert levels == [27, None, 27, 27, None, 27, 27, 27, None, None]
    unlimited = check(model_file("SUSSUSSSUS"), api_level=30, max_partitions=0)
    assert unlimited.operators[9].first_api_level == 27
    # With a cap of 1: below API 30 the first of two equal partitions is kept; from 30 on ELU
    # makes (2, 3) the larger one, so operator 0 is delegated up to API 29 only.
    capped = check(model_file("SUSE"), api_level=30, max_partitions=1)
    assert [o.first_api_level for o in capped.operators] == [27, None, 30, 30]
    assert [o.delegated for o in capped.operators] == [False, False, True, True]



def test_partition_boundary_tensors(model_file) -> None:  # type: ignore[no-untyped-def]
    rep = check(model_file("SUS"), api_level=30)
    p0, p1 = rep.subgraphs[0].partitions
    assert (p0.input_tensors, p0.output_tensors) == ((0,), (1,))
    assert (p1.input_tensors, p1.output_tensors) == ((2,), (3,))


def test_check_accepts_bytes_and_levels(model_file) -> None:  # type: ignore[no-untyped-def]
    rep = check(chain_model("E"), api_level=29)
    assert rep.path == "<bytes>" and not rep.operators[0].supported
    assert rep.options.validate_level == 29 and rep.options.is_accelerator_specified
    cpu = check(chain_model("S"), api_level=33, nnapi_cpu=True)
    assert cpu.options.validate_level == 33 and not cpu.options.is_accelerator_specified
    assert check(chain_model("S"), api_level=33, feature_level=6).options.validate_level == 1000006


def test_bad_arguments_raise_usage_errors() -> None:
    with pytest.raises(UsageError):
        check(chain_model("S"), api_level=26)
    with pytest.raises(UsageError):
        check(chain_model("S"), api_level=30, feature_level=9)
    with pytest.raises(UsageError):
        check(chain_model("S"), max_partitions=-1)


def test_unreadable_model_raises_model_read_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a flatbuffer at all")
    with pytest.raises(ModelReadError):
        check(bad)


def test_check_many_keeps_order_and_reports_errors(model_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = [model_file("S" * k, f"m{k}.tflite") for k in range(1, 6)]
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"\0" * 3)
    paths = [str(good[0]), str(bad), *map(str, good[1:])]
    serial = check_many(paths, api_level=30, jobs=1)
    parallel = check_many(paths, api_level=30, jobs=2)
    assert isinstance(serial.models[1], ModelError)
    assert [len(m.operators) for m in serial.models if isinstance(m, ModelReport)] == [
        1,
        2,
        3,
        4,
        5,
    ]
    assert report_to_dict(serial) == report_to_dict(parallel)


def test_cli_json_is_one_document_and_exit_3_for_an_unreadable_model(
    model_file, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    good = model_file("SUE")
    bad = tmp_path / "missing.tflite"
    code = main(["check", str(good), str(bad), "--format", "json", "--api-level", "30"])
    out, err = capsys.readouterr()
    assert code == 3
    doc = json.loads(out)
    assert set(doc) == {"schema_version", "tool", "models"}
    ok, missing = doc["models"]
    assert set(missing) == {"path", "error"} and missing["path"] == str(bad)
    assert ok["sha256"] == hashlib.sha256(good.read_bytes()).hexdigest()
    assert ok["partitions"] == [[0], [2]]
    assert ok["partitions_by_subgraph"] == {"0": [[0], [2]]}
    assert ok["refusal"] is None and ok["min_api_level"] is None
    op = ok["operators"][1]
    assert {
        k: op[k]
        for k in (
            "subgraph",
            "index",
            "op",
            "version",
            "supported",
            "delegated",
            "partition",
            "first_api_level",
        )
    } == {
        "subgraph": 0,
        "index": 1,
        "op": "GELU",
        "version": 1,
        "supported": False,
        "delegated": False,
        "partition": None,
        "first_api_level": None,
    }
    assert op["reasons"][0] == {
        "code": "kUnsupportedOperator",
        "message": "Unsupported operation type.",
        "source": op["reasons"][0]["source"],
        "remedy": op["reasons"][0]["remedy"],
    }
    assert "GELU" in op["reasons"][0]["remedy"]
    assert str(bad) in err and "Traceback" not in err


def test_cli_default_level_and_usage_errors(model_file) -> None:  # type: ignore[no-untyped-def]
    good = str(model_file("S"))
    proc = subprocess.run(
        [sys.executable, "-m", "opcompat", "check", good, "--format", "json"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["models"][0]["options"]["api_level"] == DEFAULT_API_LEVEL
    for flags in (["--api-level", "36"], ["--feature-level", "0"], ["--max-partitions", "-1"]):
        proc = subprocess.run(
            [sys.executable, "-m", "opcompat", "check", good, *flags],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_table_output_lists_operators(model_file, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["check", str(model_file("SU")), "--api-level", "30"]) == 0
    out = capsys.readouterr().out
    assert "RELU" in out and "GELU" in out


# Modules a check or an inspection must not import: dependencies it does not need, and standard
# modules whose import costs more than the work (dataclasses pulls in inspect, ast and dis;
# importlib.resources pulls in zipfile).
HEAVY = ("jsonschema", "requests", "bs4", "numpy", "flatbuffers", "tabulate", "scrapers",
         "dataclasses", "inspect", "importlib.resources", "zipfile")


@pytest.mark.parametrize(
    ("argv", "allowed"),
    [
        (["check", "{m}", "--format", "json"], ()),
        (["check", "{m}"], ("tabulate",)),  # the table format draws with it
        (["check", "{m}", "--format", "markdown"], ()),
        (["check", "{m}", "--format", "html"], ()),
        (["check", "{m}", "--format", "sarif"], ()),
        # tabulate itself imports dataclasses (so inspect) and importlib.resources
        (["inspect", "{m}"], ("tabulate", "dataclasses", "inspect", "importlib.resources",
                               "zipfile")),
        (["inspect", "{m}", "--format", "json"], ()),
    ],
)
def test_cli_paths_import_no_heavy_modules(model_file, argv, allowed) -> None:  # type: ignore[no-untyped-def]
    argv = [a.replace("{m}", str(model_file("SU"))) for a in argv]
    code = (
        "import sys\n"
        "from opcompat.cli import main\n"
        f"main({argv!r})\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "sys.stderr.write('\\nheavy:' + ','.join(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    heavy = proc.stderr.splitlines()[-1].removeprefix("heavy:")
    assert set(filter(None, heavy.split(","))) <= set(allowed)


def test_verdict_memo_keeps_apart_operators_whose_constants_matter(tmp_path: Path) -> None:
    # Two BATCH_TO_SPACE_ND with equal shapes; Validate reads the crops' values (all zero).
    import struct

    mb = ModelBuilder()
    sg = mb.subgraph("main")
    x = sg.tensor([4, 2, 2, 1], "FLOAT32", name="x")
    block = sg.tensor([2], "INT32", data=struct.pack("<2i", 2, 2))
    outs = []
    for crop in (0, 1):
        crops = sg.tensor([2, 2], "INT32", data=struct.pack("<4i", 0, crop, 0, 0))
        y = sg.tensor([1, 4, 4, 1], "FLOAT32")  # equal shapes: only the data differs
        sg.op("BATCH_TO_SPACE_ND", [x, block, crops], [y], options=None)
        outs.append(y)
    sg.inputs, sg.outputs = [x], outs
    rep = check(mb.build(), api_level=30)
    assert [o.supported for o in rep.operators] == [True, False]


def test_public_check_has_the_engine_keywords_and_defaults(model_file) -> None:  # type: ignore[no-untyped-def]
    import inspect

    import opcompat

    public = inspect.signature(opcompat.check).parameters
    engine = inspect.signature(check).parameters
    for name in ("api_level", "feature_level", "nnapi_cpu", "max_partitions"):
        assert public[name].default == engine[name].default, name
    rep = opcompat.check(model_file("SE"), api_level=29, max_partitions=0)
    assert isinstance(rep, ModelReport) and rep.options.api_level == 29
    with pytest.raises(AttributeError):
        rep.operators[0].delegated = False  # type: ignore[misc]


def test_reports_pickle_and_copy(model_file) -> None:  # type: ignore[no-untyped-def]
    import copy
    import pickle

    report = check_many([str(model_file("SE"))], api_level=30)
    assert pickle.loads(pickle.dumps(report)) == report
    assert copy.deepcopy(report) == report
    with pytest.raises(TypeError):
        report.tables["x"] = "y"  # type: ignore[index]
