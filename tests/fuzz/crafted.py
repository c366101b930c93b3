"""Hand-made hostile models: the attacks a random mutator is unlikely to find.

Each function returns the bytes of a flatbuffer that is well-formed as far as a plain verifier
goes, but crafted to make a naive reader or engine do far more work than the file's size
suggests (one object referenced a million times), recurse without end (a subgraph that calls
itself), or allocate from a number in the file (absurd shapes).
"""

from __future__ import annotations

from collections.abc import Callable

import flatbuffers

from opcompat.model import schema

from .synth import (
    ADD,
    ADD_OPTIONS,
    ModelSpec,
    OpSpec,
    SubgraphSpec,
    TensorSpec,
    _ints,
    _operator,
    _tables,
    _tensor,
    build,
)

_SLOT = schema.SLOTS
_OPT = schema.BUILTIN_OPTIONS
_CODE = schema.BUILTIN_OPERATOR_CODES


def _finish(
    b: flatbuffers.Builder, codes: list[int], subgraphs: list[int], buffers: int = 1
) -> bytes:
    bufs = []
    for _ in range(buffers):
        b.StartObject(3)
        bufs.append(b.EndObject())
    cv, sv, bv = _tables(b, codes), _tables(b, subgraphs), _tables(b, bufs)
    s = _SLOT["Model"]
    b.StartObject(8)
    b.PrependUint32Slot(s["version"], 3, 0)
    b.PrependUOffsetTRelativeSlot(s["operator_codes"], cv, 0)
    b.PrependUOffsetTRelativeSlot(s["subgraphs"], sv, 0)
    b.PrependUOffsetTRelativeSlot(s["buffers"], bv, 0)
    b.Finish(b.EndObject(), file_identifier=schema.FILE_IDENTIFIER)
    return bytes(b.Output())


def _opcode(b: flatbuffers.Builder, code: int, version: int = 1) -> int:
    s = _SLOT["OperatorCode"]
    b.StartObject(4)
    b.PrependInt8Slot(s["deprecated_builtin_code"], min(code, 127), 0)
    b.PrependInt32Slot(s["version"], version, 1)
    b.PrependInt32Slot(s["builtin_code"], code, 0)
    return b.EndObject()


def _subgraph(
    b: flatbuffers.Builder,
    tensors: list[int],
    ops: list[int],
    inputs: tuple[int, ...] = (),
    outputs: tuple[int, ...] = (),
) -> int:
    tv, ov = _tables(b, tensors), _tables(b, ops)
    iv, outv = _ints(b, inputs), _ints(b, outputs)
    s = _SLOT["SubGraph"]
    b.StartObject(6)
    b.PrependUOffsetTRelativeSlot(s["tensors"], tv, 0)
    b.PrependUOffsetTRelativeSlot(s["inputs"], iv, 0)
    b.PrependUOffsetTRelativeSlot(s["outputs"], outv, 0)
    b.PrependUOffsetTRelativeSlot(s["operators"], ov, 0)
    return b.EndObject()


def alias_operators(refs: int = 200_000, inputs: int = 200_000) -> bytes:
    """`refs` operators that are all one ADD table whose input list has `inputs` entries:
    O(refs * inputs) work for a reader that decodes each reference anew."""
    b = flatbuffers.Builder(1024)
    t = _tensor(b, TensorSpec((1, 4), 0, 0, "t"))
    op = _operator(b, OpSpec(0, (0,) * inputs, (0,), ADD_OPTIONS, ((0, "b", 0),)), {})
    sg = _subgraph(b, [t], [op] * refs, (0,), (0,))
    return _finish(b, [_opcode(b, ADD)], [sg])


def alias_tensors(refs: int = 200_000, rank: int = 200_000) -> bytes:
    """`refs` tensors that are all one tensor of rank `rank`."""
    b = flatbuffers.Builder(1024)
    t = _tensor(b, TensorSpec((1,) * rank, 0, 0, "t"))
    sg = _subgraph(b, [t] * refs, [], (0,), (0,))
    return _finish(b, [_opcode(b, ADD)], [sg])


def alias_names(refs: int = 200_000, name_len: int = 500_000) -> bytes:
    """`refs` tensors that are all one tensor with a name of `name_len` bytes."""
    b = flatbuffers.Builder(1024)
    t = _tensor(b, TensorSpec((1,), 0, 0, "n" * name_len))
    sg = _subgraph(b, [t] * refs, [], (0,), (0,))
    return _finish(b, [_opcode(b, ADD)], [sg])


def alias_subgraphs(refs: int = 50_000, ops: int = 2_000) -> bytes:
    """`refs` subgraphs that are all one subgraph of `ops` operators."""
    b = flatbuffers.Builder(1024)
    ts = [_tensor(b, TensorSpec((1, 4), 0, 0, f"t{i}")) for i in range(2)]
    op = _operator(b, OpSpec(0, (0, 0), (1,), ADD_OPTIONS, ((0, "b", 0),)), {})
    sg = _subgraph(b, ts, [op] * ops, (0,), (1,))
    return _finish(b, [_opcode(b, ADD)], [sg] * refs)


def alias_quantization(
    tensor_refs: int = 100_000, op_refs: int = 100_000, channels: int = 100_000
) -> bytes:
    """Operators (one table, referenced `op_refs` times) on a tensor (one table, referenced
    `tensor_refs` times) whose per-channel quantization has `channels` scales: an engine that
    walks the scales once per operator does O(op_refs * channels) work."""
    b = flatbuffers.Builder(1024)
    t = _tensor(b, TensorSpec((channels, 1, 1, 1), 9, 0, "w", (0.5,) * channels, (0,) * channels))
    op = _operator(b, OpSpec(0, (0, 0), (0,), ADD_OPTIONS, ((0, "b", 0),)), {})
    sg = _subgraph(b, [t] * tensor_refs, [op] * op_refs, (0,), (0,))
    return _finish(b, [_opcode(b, ADD)], [sg])


def _control_flow(kind: str, targets: tuple[int, ...], n_subgraphs: int) -> bytes:
    """`n_subgraphs` subgraphs of one control-flow op each, calling subgraphs `targets`."""
    opts = {
        "WHILE": ("WhileOptions", ((0, "i", targets[0]), (1, "i", targets[-1]))),
        "IF": ("IfOptions", ((0, "i", targets[0]), (1, "i", targets[-1]))),
        "CALL_ONCE": ("CallOnceOptions", ((0, "i", targets[0]),)),
        "CALL": ("CallOptions", ((0, "I", targets[0] & 0xFFFFFFFF),)),
    }[kind]
    otype = _OPT.index(opts[0])
    inputs = (0, 0) if kind == "IF" else (0,) if kind == "WHILE" else ()
    sgs = tuple(
        SubgraphSpec(
            (TensorSpec((1,), 6 if kind == "IF" else 0, 0, "x"),),
            (OpSpec(0, inputs, (0,) if kind != "CALL_ONCE" else (), otype, opts[1]),),
            (0,),
            (0,),
            f"sg{i}",
        )
        for i in range(n_subgraphs)
    )
    return build(ModelSpec(sgs, ((_CODE[kind], 1, None),)))


def while_self(n: int = 1) -> bytes:
    """A WHILE whose condition and body are its own subgraph (0)."""
    return _control_flow("WHILE", (0,), n)


def if_self() -> bytes:
    return _control_flow("IF", (0,), 1)


def call_once_self() -> bytes:
    return _control_flow("CALL_ONCE", (0,), 1)


def call_self() -> bytes:
    return _control_flow("CALL", (0,), 1)


def control_flow_out_of_range() -> bytes:
    return _control_flow("WHILE", (-1, 2**31 - 1), 1)


def while_chain(depth: int = 3000) -> bytes:
    """Subgraph i runs a WHILE on subgraphs i+1 (the last calls subgraph 0): a deep chain and a
    cycle at once, for an engine that recurses per subgraph."""
    sgs = []
    otype = _OPT.index("WhileOptions")
    for i in range(depth):
        nxt = (i + 1) % depth
        sgs.append(
            SubgraphSpec(
                (TensorSpec((1,), 0, 0, "x"),),
                (OpSpec(0, (0,), (0,), otype, ((0, "i", nxt), (1, "i", nxt))),),
                (0,),
                (0,),
            )
        )
    return build(ModelSpec(tuple(sgs), ((_CODE["WHILE"], 1, None),)))


def absurd_shapes() -> bytes:
    """ADDs on tensors of absurd shapes: 2**31-1 in every dimension, negative, zero, rank 64."""
    shapes = [(2**31 - 1,) * 8, (-5, 3), (0, 0, 0), (1,) * 64, (-(2**31),), ()]
    tensors = tuple(TensorSpec(s, 0, 0, f"t{i}") for i, s in enumerate(shapes))
    ops = tuple(OpSpec(0, (i, i), (i,), ADD_OPTIONS, ((0, "b", 0),)) for i in range(len(shapes)))
    return build(ModelSpec((SubgraphSpec(tensors, ops, (0,), (0,)),), ((ADD, 1, None),)))


def absurd_versions() -> bytes:
    """Operator versions and codes at the edges of their types."""
    codes = (
        (ADD, 2**31 - 1, None),
        (ADD, -(2**31), None),
        (2**31 - 1, 1, None),
        (-1, 1, None),
        (_CODE["CUSTOM"], 1, "x" * 10_000),
        (_CODE["CUSTOM"], 1, "\u202e\x1b[2J\n"),
    )
    tensors = (TensorSpec((1, 4), 0, 0, "t"),)
    ops = tuple(OpSpec(i, (0, 0), (0,)) for i in range(len(codes)))
    return build(ModelSpec((SubgraphSpec(tensors, ops, (0,), (0,)),), codes))


CRAFTED: dict[str, Callable[[], bytes]] = {
    "alias_operators": alias_operators,
    "alias_tensors": alias_tensors,
    "alias_names": alias_names,
    "alias_subgraphs": alias_subgraphs,
    "alias_quantization": alias_quantization,
    "while_self": while_self,
    "if_self": if_self,
    "call_once_self": call_once_self,
    "call_self": call_self,
    "control_flow_out_of_range": control_flow_out_of_range,
    "while_chain": while_chain,
    "absurd_shapes": absurd_shapes,
    "absurd_versions": absurd_versions,
}


def _minimal_operators(b: flatbuffers.Builder, n_ops: int, ins: int, outs: int) -> list[int]:
    """`n_ops` operator tables of 16 bytes each, all sharing one inputs and one outputs vector
    (opcode index 0, no options)."""
    s = _SLOT["Operator"]
    ops = []
    for _ in range(n_ops):
        b.StartObject(3)
        b.PrependUOffsetTRelativeSlot(s["inputs"], ins, 0)
        b.PrependUOffsetTRelativeSlot(s["outputs"], outs, 0)
        ops.append(b.EndObject())
    return ops


def long_custom_name(n_ops: int = 5_000, name: str = "A" * 10_000) -> bytes:
    """`n_ops` operators that share one CUSTOM operator code (legal: writers share a code among
    all its operators) with a long custom name, which every format prints per operator: 5000
    operators and a 10 KB name made a 90 KB file give 100 MB of report and 420 MB of RSS (NULs
    grow 4x more when escaped). Each operator is a minimal 16-byte table."""
    b = flatbuffers.Builder(1024)
    ts = [_tensor(b, TensorSpec((1, 4), 0, 0, f"t{i}")) for i in range(2)]
    ins, outs = _ints(b, (0,)), _ints(b, (1,))
    ops = _minimal_operators(b, n_ops, ins, outs)
    sg = _subgraph(b, ts, ops, (0,), (1,))
    custom = b.CreateString(name)
    sc = _SLOT["OperatorCode"]
    b.StartObject(4)
    b.PrependUOffsetTRelativeSlot(sc["custom_code"], custom, 0)
    b.PrependInt8Slot(sc["deprecated_builtin_code"], _CODE["CUSTOM"], 0)
    b.PrependInt32Slot(sc["builtin_code"], _CODE["CUSTOM"], 0)
    b.PrependInt32Slot(sc["version"], 1, 1)
    return _finish(b, [b.EndObject()], [sg])


def shared_long_tensor_name(n_tensors: int = 2_000, name_len: int = 1_000_000) -> bytes:
    """`n_tensors` distinct tensor tables whose names are one string of `name_len` bytes: each
    name decoded in full would be n_tensors * name_len of work and memory."""
    b = flatbuffers.Builder(1024)
    name = b.CreateString("n" * name_len)
    s = _SLOT["Tensor"]
    ts = []
    for _ in range(n_tensors):
        b.StartObject(11)
        b.PrependUOffsetTRelativeSlot(s["name"], name, 0)
        ts.append(b.EndObject())
    op = _operator(b, OpSpec(0, (0, 0), (1,), ADD_OPTIONS, ((0, "b", 0),)), {})
    sg = _subgraph(b, ts, [op], (0,), (1,))
    return _finish(b, [_opcode(b, ADD)], [sg])


CRAFTED["long_custom_name"] = long_custom_name
CRAFTED["long_nul_custom_name"] = lambda: long_custom_name(2_000, "\x00" * 100_000)
CRAFTED["shared_long_tensor_name"] = shared_long_tensor_name


def fan_out(n_ops: int = 20_000) -> bytes:
    """One tensor read by `n_ops` operators (each writes its own output): quadratic for an
    engine that, per consumer, walks every other consumer of the tensor."""
    tensors = tuple(TensorSpec((1, 4), 0, 0, f"t{i}") for i in range(n_ops + 1))
    ops = tuple(OpSpec(0, (0, 0), (i + 1,), ADD_OPTIONS, ((0, "b", 0),)) for i in range(n_ops))
    sg = SubgraphSpec(tensors, ops, (0,), tuple(range(1, n_ops + 1)))
    return build(ModelSpec((sg,), ((ADD, 1, None),)))


def fan_in(n_inputs: int = 20_000) -> bytes:
    """One CONCATENATION of `n_inputs` inputs (and one graph input per tensor)."""
    concat = _CODE["CONCATENATION"]
    otype = _OPT.index("ConcatenationOptions")
    tensors = tuple(TensorSpec((1, 4), 0, 0, f"t{i}") for i in range(n_inputs + 1))
    op = OpSpec(0, tuple(range(n_inputs)), (n_inputs,), otype, ((0, "i", 1),))
    sg = SubgraphSpec(tensors, (op,), tuple(range(n_inputs)), (n_inputs,))
    return build(ModelSpec((sg,), ((concat, 1, None),)))


CRAFTED["fan_out"] = fan_out
CRAFTED["fan_in"] = fan_in


def alternating(n_ops: int = 20_000) -> bytes:
    """A chain whose operators alternate between delegated (ADD) and not (a custom op): n/2
    partitions for the partitioner to build, sort and cap."""
    custom = _CODE["CUSTOM"]
    tensors = tuple(TensorSpec((1, 4), 0, 0, f"t{i}") for i in range(n_ops + 1))
    ops = tuple(
        OpSpec(i % 2, (i, i) if i % 2 == 0 else (i,), (i + 1,), ADD_OPTIONS if i % 2 == 0 else 0,
               ((0, "b", 0),) if i % 2 == 0 else ())
        for i in range(n_ops)
    )
    sg = SubgraphSpec(tensors, ops, (0,), (n_ops,))
    return build(ModelSpec((sg,), ((ADD, 1, None), (custom, 1, "Hostile"))))


def dataflow_cycle(n_ops: int = 1_000) -> bytes:
    """Operator i reads the output of operator i+1 (the last reads the first's): a cycle in
    the dataflow, which a topological walk must not chase for ever. Plus a self-loop."""
    tensors = tuple(TensorSpec((1, 4), 0, 0, f"t{i}") for i in range(n_ops))
    ops = tuple(OpSpec(0, ((i + 1) % n_ops, (i + 1) % n_ops), (i,), ADD_OPTIONS, ((0, "b", 0),))
                for i in range(n_ops))
    ops += (OpSpec(0, (0, 0), (0,), ADD_OPTIONS, ((0, "b", 0),)),)
    sg = SubgraphSpec(tensors, ops, (0,), (0,))
    return build(ModelSpec((sg,), ((ADD, 1, None),)))


def many_subgraphs(n: int = 5_000) -> bytes:
    """`n` subgraphs of one ADD each."""
    sg = SubgraphSpec((TensorSpec((1, 4), 0, 0, "a"), TensorSpec((1, 4), 0, 0, "b")),
                      (OpSpec(0, (0, 0), (1,), ADD_OPTIONS, ((0, "b", 0),)),), (0,), (1,))
    return build(ModelSpec((sg,) * n, ((ADD, 1, None),)))


def many_producers(n_ops: int = 5_000) -> bytes:
    """Every operator writes the same tensor (which TFLite forbids)."""
    tensors = (TensorSpec((1, 4), 0, 0, "x"), TensorSpec((1, 4), 0, 0, "y"))
    ops = tuple(OpSpec(0, (0, 0), (1,), ADD_OPTIONS, ((0, "b", 0),)) for _ in range(n_ops))
    return build(ModelSpec((SubgraphSpec(tensors, ops, (0,), (1,)),), ((ADD, 1, None),)))


CRAFTED["alternating"] = alternating
CRAFTED["dataflow_cycle"] = dataflow_cycle
CRAFTED["many_subgraphs"] = many_subgraphs
CRAFTED["many_producers"] = many_producers


def dense_operators(n_ops: int = 100_000) -> bytes:
    """As many distinct operators per byte as the format allows: every ADD shares one inputs
    and one outputs vector, so each costs 16 bytes (its table and its reference)."""
    b = flatbuffers.Builder(1024)
    ts = [_tensor(b, TensorSpec((1, 4), 0, 0, f"t{i}")) for i in range(2)]
    ins, outs = _ints(b, (0, 0)), _ints(b, (1,))
    ops = _minimal_operators(b, n_ops, ins, outs)
    sg = _subgraph(b, ts, ops, (0,), (1,))
    return _finish(b, [_opcode(b, ADD)], [sg])


CRAFTED["dense_operators"] = dense_operators


def dense_tensors(n_tensors: int = 1_000_000) -> bytes:
    """As many distinct tensors per byte as the format allows (all fields absent: 8 bytes
    each), used by one ADD."""
    b = flatbuffers.Builder(1024)
    ts = []
    for _ in range(n_tensors):
        b.StartObject(11)
        ts.append(b.EndObject())
    op = _operator(b, OpSpec(0, (0, 0), (1,), ADD_OPTIONS, ((0, "b", 0),)), {})
    sg = _subgraph(b, ts, [op], (0,), (1,))
    return _finish(b, [_opcode(b, ADD)], [sg])


def dense_subgraphs(n: int = 500_000) -> bytes:
    """As many empty subgraphs per byte as the format allows."""
    b = flatbuffers.Builder(1024)
    sgs = []
    for _ in range(n):
        b.StartObject(6)
        sgs.append(b.EndObject())
    return _finish(b, [_opcode(b, ADD)], sgs)


CRAFTED["dense_tensors"] = dense_tensors
CRAFTED["dense_subgraphs"] = dense_subgraphs
