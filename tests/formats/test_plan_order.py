"""Every format draws the execution order of the plan (`SubgraphResult.execution_plan`), which
equals the reference data's (tests/test_oracle.py, tests/targets/test_gpu_oracle.py): the
segments the formats draw, flattened, are the plan, for every corpus model and both targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from opcompat.analysis import check
from opcompat.formats import summary as s
from opcompat.formats.markdown import MarkdownFormat


@pytest.mark.parametrize("target", ["nnapi", "gpu"])
def test_segments_follow_the_plan(corpus: list[Path], target: str) -> None:
    differ = []
    for path in corpus:
        r = check(path, api_level=30, target=target)
        for sg in r.subgraphs:
            plan = [e.node if e.node is not None else e.nodes for e in sg.execution_plan]
            drawn: list[object] = []
            for seg in s.segments(r, sg.index):
                if seg.partition is None:
                    drawn.extend(o.index for o in seg.ops)
                else:
                    drawn.append(tuple(o.index for o in seg.ops))
            if drawn != plan:
                differ.append(f"{path.name} subgraph {sg.index}")
    assert not differ, differ[:10]


def test_the_markdown_flowchart_draws_the_cpu_op_before_the_partition(
    corpus: list[Path],
) -> None:
    # gh-litert__ff at API 30: op 10 (BATCH_MATMUL) runs on the CPU before the NNAPI kernel of
    # ops 1-12.
    path = next((p for p in corpus if p.name == "gh-litert__ff.tflite"), None)
    if path is None:
        pytest.skip("gh-litert__ff.tflite not in the corpus")
    from opcompat.report import Report

    text = MarkdownFormat().render(Report((check(path, api_level=30),)))
    chart = text.split("```mermaid", 1)[1]
    assert chart.index("10: BATCH_MATMUL") < chart.index("NNAPI partition 0")


@pytest.mark.parametrize("target", ["nnapi", "gpu"])
@pytest.mark.parametrize("cap", [1, 2, 0])
def test_the_kept_partitioning_gives_the_plan_a_fresh_one_gives(
    target: str, cap: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The engines keep the partitioner's subsets of the final node set for the plan instead
    # of partitioning again: both must give the same plan, with the cap's dropped partitions
    # and the fp16 rewiring (the shipped chain example: five partitions, fp16 weights).
    import importlib

    from opcompat.examples import EXAMPLES, example_path
    from opcompat.targets import base

    def kept() -> list[object]:
        return [sg.execution_plan for name in EXAMPLES
                for sg in check(example_path(name), target=target, max_partitions=cap).subgraphs]

    with_kept = kept()
    engine = importlib.import_module(f"opcompat.targets.{target}.engine")
    monkeypatch.setattr(engine, "execution_plan",
                        lambda sg, parts, rewired, subsets=None: base.execution_plan(
                            sg, parts, rewired))
    assert kept() == with_kept
    assert any(len(plan) > 1 for plan in with_kept)
