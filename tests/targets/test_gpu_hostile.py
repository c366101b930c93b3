"""The GPU target never raises on odd but readable models: every op with a GPU parser, with
0-3 inputs and 0-1 outputs of several shapes, through the check and the fixes' simulation.
Where the real graph build would read an operand the node does not have (undefined behaviour
upstream), the refusal says it is a crash."""

from __future__ import annotations

import pytest
from builders import OPTIONS_FOR_OP, ModelBuilder

from opcompat.analysis import check
from opcompat.model.reader import read_model
from opcompat.targets.gpu import engine
from opcompat.targets.gpu import reasons as codes
from opcompat.targets.gpu.table import builtin_parsers, custom_parsers

OPS = sorted(builtin_parsers()) + [f"CUSTOM:{c}" for c in sorted(custom_parsers())]


def _model(op: str, n_in: int, n_out: int, shape: list[int] | None) -> bytes:
    mb = ModelBuilder()
    sg = mb.subgraph()
    xs = [sg.tensor(shape) for _ in range(max(n_in, 1))]
    y = sg.tensor(shape)
    if op.startswith("CUSTOM:"):
        sg.op("CUSTOM", xs[:n_in], [y][:n_out], custom_code=op[7:])
    else:
        sg.op(op, xs[:n_in], [y][:n_out], options={} if op in OPTIONS_FOR_OP else None)
    sg.inputs, sg.outputs = [xs[0]], [y]
    return mb.build()


@pytest.mark.parametrize("op", OPS)
def test_odd_operand_counts_never_raise(op: str) -> None:
    prepared = engine.prepare({})
    for n_in in range(4):
        for n_out in (0, 1):
            for shape in ([1, 4, 4, 3], [3], None):
                model = read_model(_model(op, n_in, n_out, shape))
                engine.check_model(model, prepared)
                engine.simulate(model, prepared, frozenset({(0, 0)}), {})


def test_a_node_without_the_operands_its_parser_reads_is_a_crash() -> None:
    # UNPACK's IsSupported accepts anything; its Parse reads input 0 and the outputs.
    report = check(_model("UNPACK", 0, 0, [1, 4]), target="gpu")
    assert report.refusal is not None and report.refusal.code == codes.CRASH
    assert "out-of-bounds read" in report.refusal.message


def test_a_fix_for_an_op_without_parser_is_simulated_without_its_build() -> None:
    # ADD -> ATAN2 -> ADD -> ADD: ATAN2 has no GPU parser; made delegable, one partition of 4.
    mb = ModelBuilder()
    sg = mb.subgraph()
    t = [sg.tensor([1, 4]) for _ in range(5)]
    sg.op("ADD", [t[0], t[0]], [t[1]], options={})
    sg.op("ATAN2", [t[1], t[1]], [t[2]])
    sg.op("ADD", [t[2], t[2]], [t[3]], options={})
    sg.op("ADD", [t[3], t[3]], [t[4]], options={})
    sg.inputs, sg.outputs = [t[0]], [t[4]]
    report = check(mb.build(), target="gpu")
    assert report.delegated_count == 2
    best = report.fixes[0]
    assert best.op == "ATAN2" and best.delegated_ops_after == 4 and best.partitions_after == 1
