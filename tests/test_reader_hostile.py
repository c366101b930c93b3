"""Truncated, corrupted and hostile files: ModelReadError (or a valid Model) within 1 s, never
another exception, never a hang."""
from __future__ import annotations

import random
import struct
import time
from pathlib import Path

import pytest
from builders import ModelBuilder, Quant
from deadline import within

from opcompat.errors import ModelReadError
from opcompat.model import reader
from opcompat.model.graph import Model
from opcompat.model.reader import read_model

TIME_LIMIT = 1.0


def _fixture_model() -> bytes:
    """A small model that has every kind of object the reader walks."""
    mb = ModelBuilder(description="hostile")
    sg = mb.subgraph("main")
    x = sg.tensor([1, 4, 4, 2], "INT8", name="x", shape_signature=[-1, 4, 4, 2],
                  quant=Quant(scale=[0.5], zero_point=[1]))
    w = sg.tensor([2, 1, 1, 2], "INT8", data=bytes(4),
                  quant=Quant(scale=[0.1, 0.2], zero_point=[0, 0], quantized_dimension=0))
    y = sg.tensor([1, 4, 4, 2], "INT8", name="y", quant=Quant(scale=[0.5], zero_point=[1]))
    z = sg.tensor([1, 32], "INT8")
    sg.op("CONV_2D", [x, w, -1], [y], options={"stride_w": 1, "stride_h": 1}, version=3)
    sg.op("RESHAPE", [y], [z], options={"new_shape": [1, 32]})
    sg.op("CUSTOM", [z], [z], custom_code="Mine", custom_options=b"\x00\x01")
    sg.inputs, sg.outputs = [x], [z]
    body = mb.subgraph("body")
    a, b = body.tensor([1]), body.tensor([1])
    body.op("CUMSUM", [a], [b], options={"exclusive": True})
    body.inputs, body.outputs = [a], [b]
    mb.add_metadata("min_runtime_version", b"2.0")
    mb.signature("serving_default", 0, {"x": x}, {"z": z})
    return mb.build()


def _check(data: bytes | bytearray) -> Model | None:
    """Read `data`: a Model or a ModelReadError, in time; touch everything a rule could."""
    start = time.perf_counter()
    try:
        model = read_model(bytes(data))
    except ModelReadError as exc:
        assert "\n" not in str(exc)
        model = None
    else:
        for sg in model.subgraphs:
            for t in sg.tensors:
                try:
                    model.buffer_data(t)
                except ModelReadError:
                    pass
            for op in sg.operators:
                for i in op.inputs + op.outputs + op.intermediates:
                    assert i == -1 or 0 <= i < len(sg.tensors)
    assert time.perf_counter() - start < TIME_LIMIT
    return model


def _real_model(corpus: list[Path]) -> bytes:
    preferred = [p for p in corpus if p.name == "gh-coral__keras_lstm_mnist_ptq.tflite"]
    return (preferred or sorted(corpus, key=lambda p: p.stat().st_size)[len(corpus) // 2:])[0] \
        .read_bytes()


def test_fixture_reads() -> None:
    model = _check(_fixture_model())
    assert model is not None and len(model.subgraphs) == 2


def test_truncation_at_64_points_of_a_real_model(corpus: list[Path]) -> None:
    data = _real_model(corpus)
    cuts = sorted({len(data) * k // 64 for k in range(64)} | {1, 3, 4, 7, 8, 9})
    for cut in cuts:
        assert _check(data[:cut]) is None, cut


def test_truncation_everywhere_in_a_fixture() -> None:
    data = _fixture_model()
    for cut in range(len(data)):
        _check(data[:cut])


def test_random_byte_flips_of_a_real_model(corpus: list[Path]) -> None:
    data = _real_model(corpus)
    rnd = random.Random(20240601)
    for _ in range(400):
        mutant = bytearray(data)
        for _ in range(rnd.randint(1, 16)):
            mutant[rnd.randrange(len(mutant))] = rnd.randrange(256)
        _check(mutant)


def test_random_byte_flips_of_a_fixture() -> None:
    data = _fixture_model()
    rnd = random.Random(7)
    for _ in range(2000):
        mutant = bytearray(data)
        for _ in range(rnd.randint(1, 4)):
            mutant[rnd.randrange(len(mutant))] = rnd.randrange(256)
        _check(mutant)


@pytest.mark.parametrize("value", [0, 1, 4, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFC])
def test_every_word_overwritten(value: int) -> None:
    """0: a uoffset pointing at itself / a vtable at its own table; 2^31 and 2^32-1: absurd
    vector lengths and offsets; at every 4-byte position of the file."""
    data = _fixture_model()
    for pos in range(0, len(data) - 3, 4):
        mutant = bytearray(data)
        struct.pack_into("<I", mutant, pos, value)
        _check(mutant)


@pytest.mark.parametrize("value", [0, 2, 3, 0x7FFF, 0xFFFF])
def test_every_half_word_overwritten(value: int) -> None:
    """Vtable sizes and field offsets are 16-bit."""
    data = _fixture_model()
    for pos in range(0, len(data) - 1, 2):
        mutant = bytearray(data)
        struct.pack_into("<H", mutant, pos, value)
        _check(mutant)


def _positions(data: bytes, detail: bool = False) -> dict[str, int]:
    """Where some vectors of `data` are (positions of their length words); with `detail`, also
    those of the first tensor and operator of `_fixture_model()` (named, shaped, quantized)."""
    r = reader._Reader(memoryview(data), None)
    root = struct.unpack_from("<I", data, 0)[0]
    f = r.table(root)
    subgraphs = r.target(root, f[reader._M["subgraphs"]])
    sg = r.tables(root, f[reader._M["subgraphs"]])[0]
    sgf = r.table(sg)
    out = {
        "subgraphs": subgraphs,
        "tensors": r.target(sg, sgf[reader._SG["tensors"]]),
        "operators": r.target(sg, sgf[reader._SG["operators"]]),
        "buffers": r.target(root, f[reader._M["buffers"]]),
    }
    if not detail:
        return out
    t0 = r.tables(sg, sgf[reader._SG["tensors"]])[0]
    tf = r.table(t0)
    quant = r.target(t0, tf[reader._T["quantization"]])
    op0 = r.tables(sg, sgf[reader._SG["operators"]])[0]
    out.update(
        {
            "shape": r.target(t0, tf[reader._T["shape"]]),
            "tensor name": r.target(t0, tf[reader._T["name"]]),
            "scale": r.target(quant, r.table(quant)[reader._QP["scale"]]),
            "operator inputs": r.target(op0, r.table(op0)[reader._OP["inputs"]]),
            "description": r.target(root, f[reader._M["description"]]),
        }
    )
    return out


@pytest.mark.parametrize(
    "vector",
    [
        "subgraphs", "tensors", "operators", "buffers", "shape", "scale", "operator inputs",
        "tensor name", "description",  # strings: a length word like a vector's
    ],
)
@pytest.mark.parametrize("count", [2**31, 2**32 - 1, 2**20])
def test_absurd_counts_are_refused_before_allocating(vector: str, count: int) -> None:
    data = bytearray(_fixture_model())
    struct.pack_into("<I", data, _positions(bytes(data), detail=True)[vector], count)
    with pytest.raises(ModelReadError, match="runs past the end"):
        within(1.0, read_model, bytes(data))


def test_vtable_pointing_at_its_own_table() -> None:
    data = bytearray(_fixture_model())
    root = struct.unpack_from("<I", data, 0)[0]
    struct.pack_into("<i", data, root, 0)  # soffset 0: the vtable is the table itself
    with pytest.raises(ModelReadError, match="model: "):
        read_model(bytes(data))


def test_shared_objects_cannot_blow_up_the_work() -> None:
    """Every entry of a long tensor vector pointing to one tensor with a long shape would be
    quadratic work; the reader stops at a budget proportional to the file size."""
    mb = ModelBuilder()
    sg = mb.subgraph()
    sg.tensor([1] * 20000)
    for _ in range(20000):
        sg.tensor([1])
    data = bytearray(mb.build())
    vec = _positions(bytes(data))["tensors"]
    count = struct.unpack_from("<I", data, vec)[0]
    first = vec + 4 + struct.unpack_from("<I", data, vec + 4)[0]
    for i in range(count):
        entry = vec + 4 + 4 * i
        struct.pack_into("<I", data, entry, first - entry)
    start = time.perf_counter()
    with pytest.raises(ModelReadError,
                       match="too many objects for the file size|the same table is listed more"):
        read_model(bytes(data))
    assert time.perf_counter() - start < TIME_LIMIT


def test_invalid_utf8_names_are_replaced() -> None:
    mb = ModelBuilder()
    sg = mb.subgraph("main")
    sg.tensor([1], name="AAAA")
    data = bytearray(mb.build())
    at = data.find(b"AAAA")
    data[at:at + 4] = b"\xff\xfe\x80A"
    (t,) = read_model(bytes(data)).subgraphs[0].tensors
    assert t.name == "\ufffd\ufffd\ufffdA"


def test_control_characters_in_names_are_escaped() -> None:
    mb = ModelBuilder()
    sg = mb.subgraph("main\r\nforged line")
    a = sg.tensor([1], name="\x1b[2Jx\u202e")
    sg.op("CUSTOM", [a], [a], custom_code="op\tname")
    m = read_model(mb.build())
    assert m.subgraphs[0].name == "main\\r\\nforged line"
    assert m.subgraphs[0].tensors[0].name == "\\x1b[2Jx\\u202e"
    assert m.subgraphs[0].operators[0].custom_code == "op\\tname"


def test_a_huge_name_is_decoded_only_as_far_as_it_is_shown() -> None:
    """A 20 MB custom op name costs the reader (and the work budget) about 4 bytes a character
    it keeps, not 20 MB: the cap bounds the work, not only the result."""
    mb = ModelBuilder()
    sg = mb.subgraph()
    a = sg.tensor([1])
    sg.op("CUSTOM", [a], [a], custom_code="\x00" * 20_000_000)
    data = mb.build()
    r = reader._Reader(memoryview(data), None)
    start = time.perf_counter()
    model = r.model()
    assert time.perf_counter() - start < TIME_LIMIT
    assert model.subgraphs[0].operators[0].custom_code == (
        "\\x00" * (reader.MAX_NAME_CHARS // 4) + reader.TRUNCATED)
    spent = reader._WORK_PER_BYTE * len(data) + reader._WORK_BASE - r.work
    assert spent < 100 * reader.MAX_NAME_CHARS, spent


@pytest.mark.parametrize(("tensors", "refused"), [(100, False), (2_000, True)])
def test_tensors_sharing_one_long_name(tensors: int, refused: bool) -> None:
    """Distinct tensor tables may all point at one 1 MB name: each is decoded only up to the
    cap, and the work of those decodes still counts against the file size."""
    from fuzz.crafted import shared_long_tensor_name

    data = shared_long_tensor_name(tensors, 1_000_000)
    start = time.perf_counter()
    if refused:
        with pytest.raises(ModelReadError, match="too many objects for the file size"):
            read_model(data)
    else:
        names = {t.name for t in read_model(data).subgraphs[0].tensors}
        assert names == {"n" * reader.MAX_TENSOR_NAME_CHARS + reader.TRUNCATED}
    assert time.perf_counter() - start < TIME_LIMIT


def test_vtable_entries_count_as_work() -> None:
    """Many tables pointing into one long vtable at different places cost its length each."""
    entries = 1000
    vtable = struct.pack("<HH", 4 + 2 * entries, 4) + bytes(2 * entries)
    table_at = len(vtable)
    data = vtable + struct.pack("<i", table_at)  # soffset back to the vtable at 0
    r = reader._Reader(memoryview(data), None)
    r.work = entries // 2
    with pytest.raises(reader._Bad, match="too many objects"):
        r.table(table_at)
    r = reader._Reader(memoryview(data), None)
    assert r.table(table_at)[:4] == (0, 0, 0, 0)
    assert r.work == reader._WORK_PER_BYTE * len(data) + reader._WORK_BASE - entries - 1


# -- every error says where: "what is wrong, and at which byte offset" ----------------------

REGRESSIONS = Path(__file__).resolve().parent / "fuzz" / "regressions"


def _error(data: bytes | bytearray) -> ModelReadError | None:
    """The ModelReadError reading `data` raises, checked to be one line naming its offset;
    None when `data` reads."""
    try:
        read_model(bytes(data))
    except ModelReadError as exc:
        msg = str(exc)
        assert "\n" not in msg, msg
        assert exc.offset is not None, msg
        assert 0 <= exc.offset <= len(data), (exc.offset, len(data), msg)
        assert msg.endswith(f" (at byte offset {exc.offset})"), msg
        return exc
    return None


def _mutants(data: bytes, seed: int, count: int) -> list[bytearray]:
    """`count` seeded mutants of `data`: a third truncated, the rest with 1-8 bytes changed."""
    rnd = random.Random(seed)
    out = []
    for k in range(count):
        if k % 3 == 0:
            out.append(bytearray(data[:rnd.randrange(len(data))]))
            continue
        mutant = bytearray(data)
        for _ in range(rnd.randint(1, 8)):
            mutant[rnd.randrange(len(mutant))] = rnd.randrange(256)
        out.append(mutant)
    return out


def test_every_error_of_corpus_mutants_has_an_offset(corpus: list[Path]) -> None:
    by_size = sorted(corpus, key=lambda p: p.stat().st_size)
    picks = {by_size[len(by_size) // 4], by_size[len(by_size) // 2]}
    picks |= {p for p in corpus if p.name == "gh-coral__keras_lstm_mnist_ptq.tflite"}
    errors = 0
    for seed, path in enumerate(sorted(picks)):
        for mutant in _mutants(path.read_bytes(), seed, 1000):
            errors += _error(mutant) is not None
    assert errors > 500  # the mutants do reach the reader's checks


def test_every_error_of_fixture_mutants_has_an_offset() -> None:
    errors = sum(_error(m) is not None for m in _mutants(_fixture_model(), 11, 2000))
    assert errors > 500


@pytest.mark.parametrize("name", ["field-offset-at-table-end.bin", "scalar-field-past-end.bin"])
def test_a_field_past_the_end_has_an_offset(name: str) -> None:
    exc = _error((REGRESSIONS / name).read_bytes())
    assert exc is not None and "a field runs past the end of the file" in str(exc)


def test_a_damaged_header_has_an_offset() -> None:
    exc = _error(b"\x08\x00")
    assert exc is not None and exc.offset == 0 and "too small" in str(exc)
    data = bytearray(_fixture_model())
    data[4:8] = b"BFBS"
    exc = _error(data)
    assert exc is not None and exc.offset == 4 and "file identifier 'BFBS'" in str(exc)


def _i32_at(data: bytes, exc: ModelReadError) -> int:
    assert exc.offset is not None
    return struct.unpack_from("<i", data, exc.offset)[0]


@pytest.mark.parametrize("where", ["inputs", "outputs", "intermediates"])
def test_operator_tensor_index_out_of_range_points_at_the_index(where: str) -> None:
    mb = ModelBuilder()
    sg = mb.subgraph()
    a, b = sg.tensor([1]), sg.tensor([1])
    lists = {"inputs": [a, b], "outputs": [b], "intermediates": [a]}
    lists[where] = lists[where] + [7]
    sg.op("RELU", lists["inputs"], lists["outputs"], intermediates=lists["intermediates"])
    data = mb.build()
    exc = _error(data)
    assert exc is not None
    assert str(exc) == ("subgraph 0: operator 0: RELU: tensor index 7 out of range (2 tensors)"
                        f" (at byte offset {exc.offset})")
    assert _i32_at(data, exc) == 7


@pytest.mark.parametrize("where", ["inputs", "outputs"])
def test_subgraph_tensor_index_out_of_range_points_at_the_index(where: str) -> None:
    mb = ModelBuilder()
    sg = mb.subgraph()
    sg.tensor([1])
    sg.inputs, sg.outputs = [0], [0]
    setattr(sg, where, [0, -5])
    data = mb.build()
    exc = _error(data)
    assert exc is not None and f"{where[:-1]} tensor index -5 out of range" in str(exc)
    assert _i32_at(data, exc) == -5


def test_buffer_index_out_of_range_points_at_the_field() -> None:
    mb = ModelBuilder()
    sg = mb.subgraph()
    sg.tensor([1])
    sg.tensor([1], buffer=0x1234567)
    data = mb.build()
    exc = _error(data)
    assert exc is not None and "subgraph 0: tensor 1: buffer index 19088743 out of range" \
        in str(exc)
    assert _i32_at(data, exc) == 0x1234567


def test_opcode_index_out_of_range_points_at_the_field() -> None:
    mb = ModelBuilder()
    sg = mb.subgraph()
    a = sg.tensor([1])
    sg.op("RELU", [a], [a])
    sg.op("RELU", [a], [a])
    sg.ops[1].opcode = 0x2345678
    data = mb.build()
    exc = _error(data)
    assert exc is not None and "operator 1: operator code index 36984440 out of range" \
        in str(exc)
    assert _i32_at(data, exc) == 0x2345678


@pytest.mark.parametrize(("limit", "cap", "what"), [
    ("MAX_SUBGRAPHS", 1, "subgraphs"),  # the fixture has 2 subgraphs,
    ("MAX_TENSORS", 5, "tensors"),  # 4 + 2 tensors,
    ("MAX_OPERATORS", 3, "operators"),  # 3 + 1 operators
])
def test_count_limits_point_at_the_vector(
        monkeypatch: pytest.MonkeyPatch, limit: str, cap: int, what: str) -> None:
    data = _fixture_model()
    monkeypatch.setattr(reader, limit, cap)
    exc = _error(data)
    assert exc is not None and f"{what} or more, over opcompat's limit of {cap}" in str(exc)
    # The length word of the vector that went over: the subgraphs, or the second subgraph's.
    r = reader._Reader(memoryview(data), None)
    root = struct.unpack_from("<I", data, 0)[0]
    f = r.table(root)
    if what == "subgraphs":
        expected = r.target(root, f[reader._M["subgraphs"]])
    else:
        sg = r.tables(root, f[reader._M["subgraphs"]])[1]
        expected = r.target(sg, r.table(sg)[reader._SG[what]])
    assert exc.offset == expected


@pytest.mark.parametrize(
    "where",
    ["root", "subgraphs field", "first subgraph", "tensors field", "name field", "shape field"],
)
def test_offsets_pointing_at_themselves_are_refused(where: str) -> None:
    data = bytearray(_fixture_model())
    r = reader._Reader(memoryview(bytes(data)), None)
    root = struct.unpack_from("<I", data, 0)[0]
    f = r.table(root)
    sg = r.tables(root, f[reader._M["subgraphs"]])[0]
    sgf = r.table(sg)
    t0 = r.tables(sg, sgf[reader._SG["tensors"]])[0]
    vec = root + f[reader._M["subgraphs"]]
    at = {
        "root": 0,
        "subgraphs field": vec,
        "first subgraph": vec + struct.unpack_from("<I", data, vec)[0] + 4,
        "tensors field": sg + sgf[reader._SG["tensors"]],
        "name field": t0 + r.table(t0)[reader._T["name"]],
        "shape field": t0 + r.table(t0)[reader._T["shape"]],
    }[where]
    struct.pack_into("<I", data, at, 0)  # a uoffset of 0 points at itself
    with pytest.raises(ModelReadError, match=rf"points at itself \(at byte offset {at}\)|root"):
        within(1.0, read_model, bytes(data))
