"""Hypothesis strategies for models that are valid flatbuffers with hostile *content*.

The byte mutators mostly exercise the reader; these reach the rules engine and the formats:
any builtin op with any version, inputs and outputs that are missing, optional (-1) or
repeated, tensors of every type and odd shapes, options tables of the wrong kind or with
extreme values, constant buffers whose size does not match their shape.
"""

from __future__ import annotations

from hypothesis import strategies as st

from opcompat.model import schema

from .synth import ModelSpec, OpSpec, SubgraphSpec, TensorSpec

_CODES = sorted(schema.BUILTIN_OPERATORS)
_OPTIONS = [i for i, name in enumerate(schema.BUILTIN_OPTIONS) if name]
_SCALAR_CODES = {"b", "B", "?", "i", "I", "f", "q"}
_LIMITS = {
    "b": (-128, 127),
    "B": (0, 255),
    "?": (0, 1),
    "i": (-(2**31), 2**31 - 1),
    "I": (0, 2**32 - 1),
    "q": (-(2**63), 2**63 - 1),
}

dims = st.one_of(st.integers(0, 8), st.sampled_from((-1, 1, 3, 64, 2**31 - 1, -(2**31))))
shapes = st.lists(dims, min_size=0, max_size=6).map(tuple)


@st.composite
def tensors(draw: st.DrawFn, n_buffers: int) -> TensorSpec:
    quantized = draw(st.booleans())
    channels = draw(st.integers(1, 4))
    scale = (
        tuple(
            draw(
                st.lists(
                    st.sampled_from((0.5, 0.0, -1.0, 1e-9, float("inf"), float("nan"))),
                    min_size=channels,
                    max_size=channels,
                )
            )
        )
        if quantized
        else ()
    )
    zp = (
        tuple(draw(st.lists(st.integers(-300, 300), min_size=channels, max_size=channels)))
        if quantized
        else ()
    )
    return TensorSpec(
        shape=draw(shapes),
        dtype=draw(st.one_of(st.integers(0, 22), st.sampled_from((23, 99, -1)))),
        buffer=draw(st.integers(0, n_buffers - 1)),
        name=draw(st.text(max_size=8)),
        scale=scale,
        zero_point=zp,
        shape_signature=draw(st.none() | shapes),
    )


@st.composite
def option_fields(draw: st.DrawFn, options_type: int) -> tuple[tuple[int, str, int | float], ...]:
    name = schema.BUILTIN_OPTIONS[options_type]
    fields = []
    for _fname, slot, code, _default in schema.OPTIONS_FIELDS.get(name or "", ()):
        if code not in _SCALAR_CODES or not draw(st.booleans()):
            continue
        if code == "f":
            value: int | float = draw(st.sampled_from((0.0, 1.0, -1.0, 1e30, float("nan"))))
        else:
            lo, hi = _LIMITS[code]
            value = draw(
                st.one_of(st.integers(-2, 8), st.sampled_from((lo, hi))).filter(
                    lambda v, lo=lo, hi=hi: lo <= v <= hi
                )
            )
        fields.append((slot, code, value))
    return tuple(fields)


@st.composite
def operators(draw: st.DrawFn, n_codes: int, n_tensors: int) -> OpSpec:
    index = st.one_of(st.integers(-1, n_tensors - 1), st.integers(-1, n_tensors - 1))
    opts = draw(st.one_of(st.just(0), st.sampled_from(_OPTIONS)))
    return OpSpec(
        opcode_index=draw(st.integers(0, n_codes - 1)),
        inputs=tuple(draw(st.lists(index, max_size=6))),
        outputs=tuple(draw(st.lists(st.integers(0, n_tensors - 1), max_size=3))),
        options_type=opts,
        options=draw(option_fields(opts)) if opts else (),
    )


@st.composite
def models(draw: st.DrawFn) -> ModelSpec:
    """A random model: 1-3 subgraphs of 1-8 tensors and 0-6 operators over 1-4 op codes."""
    codes = tuple(
        (
            draw(st.sampled_from(_CODES)),
            draw(st.integers(-1, 14)),
            draw(st.none() | st.text(max_size=6)),
        )
        for _ in range(draw(st.integers(1, 4)))
    )
    buffers = (b"", *draw(st.lists(st.binary(max_size=64), max_size=4)))
    subgraphs = []
    for _ in range(draw(st.integers(1, 3))):
        ts = tuple(draw(st.lists(tensors(len(buffers)), min_size=1, max_size=8)))
        ops = tuple(draw(st.lists(operators(len(codes), len(ts)), max_size=6)))
        io = st.lists(st.integers(0, len(ts) - 1), max_size=3).map(tuple)
        subgraphs.append(SubgraphSpec(ts, ops, draw(io), draw(io), draw(st.text(max_size=6))))
    return ModelSpec(tuple(subgraphs), codes, buffers)
