"""The shipped op tables: schemas, manifest, cross-table consistency, loader, `tables show`."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from opcompat.cli import main
from opcompat.errors import TableError
from opcompat.tables import access, loader
from opcompat.tables.loader import clear_cache, load_table

TABLES = Path(__file__).resolve().parent.parent / "op_tables"
RELEASES = ("8.1", "9", "10", "11", "12", "13")
OP_COUNTS = {"8.1": 29, "9": 38, "10": 95, "11": 102, "12": 102, "13": 106}
RELEASE_FL = {"8.1": 1, "9": 2, "10": 3, "11": 4, "12": 5, "13": 8}
API_OF_FL = {1: 27, 2: 28, 3: 29, 4: 30, 5: 31}


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


def manifest() -> dict[str, Any]:
    return json.loads((TABLES / "MANIFEST.json").read_text(encoding="utf-8"))


def schema(file: str) -> dict[str, Any]:
    return json.loads((TABLES / "schema" / file).read_text(encoding="utf-8"))


# ---- schemas and manifest -----------------------------------------------------------------------


def test_schemas_are_valid_json_schemas() -> None:
    for path in sorted((TABLES / "schema").glob("*.schema.json")):
        jsonschema.Draft202012Validator.check_schema(json.loads(path.read_text(encoding="utf-8")))


def test_manifest_validates_and_lists_every_table() -> None:
    m = manifest()
    jsonschema.validate(m, schema("manifest.schema.json"))
    files = {p.name for p in TABLES.glob("*.json")} - {"MANIFEST.json"}
    assert {e["file"] for e in m["tables"].values()} == files
    expected = {"tflite_builtins", "cross_reference", *(f"nnapi_{r}" for r in RELEASES)}
    assert expected <= set(m["tables"])


@pytest.mark.parametrize(
    "name", sorted(json.loads((TABLES / "MANIFEST.json").read_text(encoding="utf-8"))["tables"])
)
def test_table_matches_manifest_hash_and_its_schema(name: str) -> None:
    entry = manifest()["tables"][name]
    data = (TABLES / entry["file"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == entry["sha256"], (
        f"{entry['file']} changed since MANIFEST.json was written: regenerate every table with "
        "`opcompat tables update --source-dir SRC` (README, 'Regenerating the tables')"
    )
    jsonschema.validate(json.loads(data), schema(entry["schema"].removeprefix("schema/")))
    for src in entry["sources"]:
        assert src["repository"] and src["path"] and len(src["sha256"]) == 64


def test_provenance_names_the_pinned_revisions() -> None:
    prov = loader.tables_provenance()
    tfl = prov["tflite_builtins"]["sources"]
    assert {s["path"] for s in tfl} == {
        "tflite/converter/schema/schema.fbs",
        "tflite/core/kernels/register.cc",
        "tflite/converter/tools/versioning/runtime_version.cc",
    }
    assert all(s["commit"].startswith("f67457790c9c") for s in tfl)
    assert prov["nnapi_8.1"]["sources"][0]["ref"] == "android-8.1.0_r1"
    assert prov["nnapi_11"]["sources"][0]["path"] == "nn/runtime/include/NeuralNetworks.h"
    assert prov["nnapi_13"]["sources"][0]["path"] == "runtime/include/NeuralNetworksTypes.h"
    if "delegate_mapping" in prov:
        assert (
            prov["delegate_mapping"]["sources"][0]["path"]
            == "tflite/delegates/nnapi/nnapi_delegate.cc"
        )


# ---- NNAPI tables -------------------------------------------------------------------------------


@pytest.mark.parametrize("release", RELEASES)
def test_nnapi_counts_levels_and_codes(release: str) -> None:
    t = load_table(f"nnapi_{release}")
    ops = t["operations"]
    assert len(ops) == OP_COUNTS[release]
    codes = [o["code"] for o in ops]
    assert codes == sorted(codes) and len(set(codes)) == len(codes)
    assert codes == list(range(len(codes)))  # NNAPI codes are dense from 0
    for o in ops:
        assert 1 <= o["since_feature_level"] <= RELEASE_FL[release]
        assert o["since_api_level"] == API_OF_FL.get(o["since_feature_level"])
        for entries in o["operand_types"].values():
            for e in entries:
                assert o["since_feature_level"] <= e["since_feature_level"] <= RELEASE_FL[release]


@pytest.mark.parametrize("release", RELEASES)
def test_every_name_exists_in_its_enum(release: str) -> None:
    t = load_table(f"nnapi_{release}")
    operand_types = {x["name"] for x in t["operand_types"]}
    for o in t["operations"]:
        named = [e["type"] for es in o["operand_types"].values() for e in es]
        named += [n for c in o["configurations"] for ns in c["operands"].values() for n in ns]
        named += [
            n
            for sig in o["inputs"] + o["outputs"]
            for x in sig["operands"]
            for n in x["mentioned_types"]
        ]
        missing = set(named) - operand_types
        assert not missing, f"{o['name']}: {missing}"


def test_cross_reference_and_delegate_mapping_names_exist() -> None:
    xref = load_table("cross_reference")
    ops = {o["name"] for o in load_table(f"nnapi_{xref['nnapi_release']}")["operations"]}
    builtins = {b["name"] for b in load_table("tflite_builtins")["builtins"]}
    for pair in xref["pairs"]:
        assert pair["builtin"] in builtins
        assert set(pair["nnapi_operations"]) <= ops
    assert {o["name"] for o in xref["nnapi_unreached"]} <= ops
    assert {b["name"] for b in xref["tflite_unmapped"]} <= builtins
    assert xref["unresolved_nnapi_names"] == []
    reached = {o for p in xref["pairs"] for o in p["nnapi_operations"]}
    assert reached | {o["name"] for o in xref["nnapi_unreached"]} == ops
    if (TABLES / "delegate_mapping.json").exists():
        dm = load_table("delegate_mapping")
        assert {b["name"] for b in dm["builtins"]} <= builtins


def test_cross_reference_content() -> None:
    xref = load_table("cross_reference")
    unreached = {o["name"].removeprefix("ANEURALNETWORKS_") for o in xref["nnapi_unreached"]}
    # Ops TFLite's delegate never emits (research/nnapi_sources.md section 7).
    assert {"IF", "WHILE", "RANK", "ROI_ALIGN", "BOX_WITH_NMS_LIMIT", "REDUCE_ALL"} <= unreached
    assert "CONV_2D" not in unreached and "TRANSPOSE_CONV_2D" not in unreached
    unmapped = {b["name"] for b in xref["tflite_unmapped"]}
    assert {"FLOOR_DIV", "GATHER_ND", "CUSTOM"} <= unmapped and "ADD" not in unmapped


def test_each_release_extends_the_previous_one() -> None:
    prev: dict[str, dict[str, Any]] = {}
    for release in RELEASES:
        ops = {o["name"]: o for o in load_table(f"nnapi_{release}")["operations"]}
        for name, o in prev.items():
            assert name in ops, f"{name} vanished in {release}"
            assert ops[name]["code"] == o["code"]
            assert ops[name]["since_feature_level"] == o["since_feature_level"]
        prev = ops


@pytest.mark.parametrize(
    ("op", "role", "expected"),
    [
        (
            "ADD",
            "tensor",
            {
                "TENSOR_FLOAT16": 3,
                "TENSOR_FLOAT32": 1,
                "TENSOR_QUANT8_ASYMM": 1,
                "TENSOR_QUANT8_ASYMM_SIGNED": 4,
                "TENSOR_INT32": 4,
            },
        ),
        (
            "CONV_2D",
            "input",
            {
                "TENSOR_FLOAT32": 1,
                "TENSOR_QUANT8_ASYMM": 1,
                "TENSOR_FLOAT16": 3,
                "TENSOR_QUANT8_ASYMM_SIGNED": 4,
            },
        ),
        ("CONV_2D", "bias", {"TENSOR_FLOAT32": 1, "TENSOR_INT32": 1, "TENSOR_FLOAT16": 3}),
        (
            "RSQRT",
            "tensor",
            {
                "TENSOR_FLOAT16": 3,
                "TENSOR_FLOAT32": 3,
                "TENSOR_QUANT8_ASYMM": 7,
                "TENSOR_QUANT8_ASYMM_SIGNED": 7,
            },
        ),
        (
            "BATCH_MATMUL",
            "tensor",
            {
                "TENSOR_FLOAT16": 6,
                "TENSOR_FLOAT32": 6,
                "TENSOR_QUANT8_ASYMM_SIGNED": 6,
                "TENSOR_INT32": 6,
            },
        ),
        (
            "DEQUANTIZE",
            "input",
            {
                "TENSOR_QUANT8_ASYMM": 1,
                "TENSOR_QUANT8_SYMM": 3,
                "TENSOR_QUANT8_SYMM_PER_CHANNEL": 3,
                "TENSOR_QUANT8_ASYMM_SIGNED": 4,
            },
        ),
        ("DEQUANTIZE", "output", {"TENSOR_FLOAT16": 3, "TENSOR_FLOAT32": 1}),
    ],
)
def test_spot_checks_against_the_android_13_header(
    op: str, role: str, expected: dict[str, int]
) -> None:
    got = {
        t["type"].removeprefix("ANEURALNETWORKS_"): t["since_feature_level"]
        for t in access.operand_types(op, role, "13")
    }
    assert got == expected


def test_spot_check_levels_ranks_and_qualifiers() -> None:
    pad = access.nnapi_operation("PAD", "13")
    assert pad is not None and pad["since_feature_level"] == 2
    q8 = next(
        t
        for t in pad["operand_types"]["tensor"]
        if t["type"] == "ANEURALNETWORKS_TENSOR_QUANT8_ASYMM"
    )
    assert q8["full_support_since_feature_level"] == 3
    assert access.rank_limits("BATCH_MATMUL", release="13") == {"min": 2, "max": 4}
    assert access.rank_limits("RSQRT", release="13") == {"min": 1, "max": None}
    assert access.nnapi_operation("ANEURALNETWORKS_BATCH_MATMUL", "13")["since_api_level"] is None  # type: ignore[index]
    assert access.nnapi_operation("BATCH_MATMUL", "12") is None
    assert access.supported_types("CONV_2D", "filter", 2) == {
        "ANEURALNETWORKS_TENSOR_FLOAT32",
        "ANEURALNETWORKS_TENSOR_QUANT8_ASYMM",
    }
    # A single-list op answers for any role.
    assert access.supported_types("ADD", "input", 1) == {
        "ANEURALNETWORKS_TENSOR_FLOAT32",
        "ANEURALNETWORKS_TENSOR_QUANT8_ASYMM",
    }
    assert access.type_since("RSQRT", "TENSOR_QUANT8_ASYMM") == 7
    assert (
        access.type_since("CONV_2D", "ANEURALNETWORKS_TENSOR_QUANT8_SYMM_PER_CHANNEL", "filter")
        == 3
    )
    assert access.type_since("CONV_2D", "TENSOR_QUANT8_SYMM_PER_CHANNEL", "input") is None
    assert access.type_since("NO_SUCH_OP", "TENSOR_FLOAT32") is None
    with pytest.raises(TableError, match="release"):
        access.nnapi_operations("14")


# ---- TFLite builtins ----------------------------------------------------------------------------


def test_tflite_builtins_table() -> None:
    rows = access.tflite_builtins()
    assert len(rows) == 210
    codes = [b["code"] for b in rows]
    assert codes == sorted(codes) and len(set(codes)) == len(codes)
    add = access.tflite_builtin("ADD")
    assert add is not None and add["code"] == 0 and add["registered"]
    assert (add["min_version"], add["max_version"]) == (1, 6)
    assert access.tflite_builtin("HARD_SWISH")["max_version"] == 1  # type: ignore[index]
    assert access.tflite_builtin("REDUCE_WINDOW")["deprecated"] is True  # type: ignore[index]
    assert sum(b["registered"] for b in rows) == 172
    for b in rows:
        if b["registered"] and b["runtime_versions"]:
            assert b["runtime_versions"][0]["op_version"] >= 1


def test_reader_schema_builtin_names_equal_the_table() -> None:
    from opcompat.model.schema import BUILTIN_OPERATORS as operators

    table = {b["code"]: b["name"] for b in access.tflite_builtins()}
    assert dict(operators) == table


# ---- loader -------------------------------------------------------------------------------------


def test_load_table_is_cached() -> None:
    assert load_table("nnapi_13") is load_table("nnapi_13")
    assert load_table("nnapi_13", TABLES) is load_table("nnapi_13")


def test_shipped_table_skips_schema_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(loader, "validate_table", lambda name, *a, **k: calls.append(name))
    load_table("tflite_builtins")
    assert calls == []


def copy_tables(dst: Path) -> Path:
    shutil.copytree(TABLES, dst, symlinks=False)
    return dst


def test_identical_copy_elsewhere_is_trusted_by_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = copy_tables(tmp_path / "t")
    calls: list[str] = []
    monkeypatch.setattr(loader, "validate_table", lambda name, *a, **k: calls.append(name))
    load_table("nnapi_9", d)
    assert calls == []


def test_hash_mismatch_gets_full_validation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = copy_tables(tmp_path / "t")
    path = d / "nnapi_9.json"
    path.write_text(
        json.dumps(json.loads(path.read_text(encoding="utf-8"))), encoding="utf-8"
    )  # same data, new bytes
    real = loader.validate_table
    calls: list[str] = []

    def spy(name: str, *a: Any, **k: Any) -> None:
        calls.append(name)
        real(name, *a, **k)

    monkeypatch.setattr(loader, "validate_table", spy)
    data = load_table("nnapi_9", d)
    assert calls == ["nnapi_9"] and len(data["operations"]) == 38


def test_corrupted_table_names_file_and_field(tmp_path: Path) -> None:
    d = copy_tables(tmp_path / "t")
    path = d / "nnapi_13.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["operations"][3]["code"] = "three"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(TableError) as info:
        load_table("nnapi_13", d)
    assert str(path) in str(info.value) and "/operations/3/code" in str(info.value)


def test_missing_required_field_is_reported_at_its_object(tmp_path: Path) -> None:
    d = copy_tables(tmp_path / "t")
    path = d / "tflite_builtins.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["builtins"][5]["registered"]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(
        TableError, match=r"tflite_builtins\.json: invalid at /builtins/5: 'registered'"
    ):
        load_table("tflite_builtins", d)


def test_invalid_json_and_missing_table(tmp_path: Path) -> None:
    d = copy_tables(tmp_path / "t")
    (d / "cross_reference.json").write_text('{"table": ', encoding="utf-8")
    with pytest.raises(TableError, match=r"cross_reference\.json: not valid JSON.*line 1"):
        load_table("cross_reference", d)
    with pytest.raises(TableError, match="not found"):
        load_table("nnapi_14", d)
    with pytest.raises(TableError, match="not a table name"):
        load_table("../MANIFEST")


def test_table_without_schema_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "t"
    d.mkdir()
    (d / "mystery.json").write_text("{}", encoding="utf-8")
    with pytest.raises(TableError, match="no schema"):
        load_table("mystery", d)


def test_loader_does_not_import_jsonschema_for_shipped_tables() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from opcompat.tables import load_table\n"
        "for n in ('tflite_builtins', 'nnapi_13', 'cross_reference'):\n"
        "    load_table(n)\n"
        "assert 'jsonschema' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# ---- tables show --------------------------------------------------------------------------------


def run_show(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["tables", "show", *argv])
    return code, out.getvalue()


def test_show_json() -> None:
    code, text = run_show("--format", "json")
    assert code == 0
    data = json.loads(text)
    assert {"tflite_builtins", "nnapi_operations", "provenance"} <= set(data)
    assert {"name", "code"} <= set(data["tflite_builtins"][0])
    assert set(data["nnapi_operations"]) == set(RELEASES)
    conv = data["nnapi_operations"]["13"][3]
    assert conv["name"] == "ANEURALNETWORKS_CONV_2D" and conv["code"] == 3
    assert (conv["since_feature_level"], conv["since_api_level"]) == (1, 27)
    assert data["nnapi_operations"]["13"][102]["since_api_level"] is None
    assert "nnapi_13" in data["provenance"]


def test_show_text() -> None:
    code, text = run_show()
    assert code == 0
    assert "nnapi 13: 106 operations" in text and "android-8.1.0_r1" in text


def test_show_with_a_corrupted_tables_dir_fails_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = copy_tables(tmp_path / "t")
    (d / "nnapi_8.1.json").write_text("[]", encoding="utf-8")
    code = main(["tables", "show", "--tables", str(d)])
    err = capsys.readouterr().err
    assert code == 3 and "nnapi_8.1.json" in err


# ---- regeneration from the real sources ---------------------------------------------------------


def test_regeneration_is_byte_identical(tmp_path: Path) -> None:
    sources = os.environ.get("OPCOMPAT_SOURCES")
    if not sources or not Path(sources).is_dir():
        pytest.skip(
            "set OPCOMPAT_SOURCES to the source tree (layout: opcompat tables update --help)"
        )
    from scrapers.update import Options, run

    out = tmp_path / "op_tables"
    run(Options(out_dir=out, source_dir=Path(sources)))
    names = sorted(p.name for p in out.glob("*.json"))
    assert names == sorted(p.name for p in TABLES.glob("*.json"))
    for path in sorted(out.glob("*.json")):
        assert path.read_bytes() == (TABLES / path.name).read_bytes(), f"{path.name} differs"


@pytest.mark.parametrize(("feature_level", "api_level"), [(6, 31), (5, None), (3, 28)])
def test_nnapi_levels_must_agree(feature_level: int, api_level: int | None) -> None:
    data = json.loads((TABLES / "nnapi_13.json").read_text(encoding="utf-8"))
    op = data["operations"][0]
    op["since_feature_level"], op["since_api_level"] = feature_level, api_level
    with pytest.raises(TableError, match=r"invalid at /operations/0: breaks the rule: Feature"):
        loader.validate_table("nnapi_13", data, "nnapi_13.json")
