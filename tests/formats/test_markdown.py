"""`--format markdown`: summary first, details folded, a mermaid flowchart that renders."""

from __future__ import annotations

import re

from synthetic import SYNTHETIC, big_model, report_of

from opcompat.formats.markdown import MAX_OPS_DRAWN, MarkdownFormat, flowchart
from opcompat.report import Report


def test_summary_comes_before_details(partial_report: Report) -> None:
    text = MarkdownFormat().render(partial_report)
    assert text.startswith(
        "## opcompat: NNAPI delegation report\n\n1 model checked, 0 fully delegated.\n"
    )
    assert (
        "| ⚠️ | `partial.tflite` | 30 | 4/8 (50.0%) | 3 | 4 | never (at any API level 27-35) |"
        in text
    )
    assert text.index("ops on CPU, by cause") < text.index("```mermaid") < text.index("<details>")
    assert "| `kUnsupportedOperatorVersion` | 2 | MEAN x2 |" in text
    assert "<details><summary>Operators on the CPU (4)</summary>" in text
    assert "<details><summary>All operators (8)</summary>" in text
    # Every <details> is closed, with blank lines around its table so GitHub renders it.
    assert text.count("<details>") == text.count("</details>") == 2
    assert "</summary>\n\n|" in text and "|\n\n</details>" in text


def test_flowchart_nodes_follow_partitions(partial_report: Report) -> None:
    model = partial_report.models[0]
    chart = flowchart(model, 0)  # type: ignore[arg-type]
    assert chart.startswith("```mermaid\nflowchart LR\n") and chart.endswith("\n```")
    titles = re.findall(r'subgraph (s0_\d+)\["([^"]+)"\]', chart)
    assert [t for _, t in titles] == [
        "NNAPI partition 0",
        "CPU",
        "NNAPI partition 1",
        "CPU",
        "NNAPI partition 2",
        "CPU",
    ]
    assert 'o0_7["7: LOGISTIC"]:::cpu' in chart
    assert 'o0_0["0: CONV_2D"]:::delegated' in chart
    # Segments are chained in execution order.
    assert [
        line.strip() for line in chart.splitlines() if re.fullmatch(r"\s+s0_\d+ --> s0_\d+", line)
    ] == [f"s0_{k} --> s0_{k + 1}" for k in range(5)]


def test_large_graphs_collapse_to_partition_level() -> None:
    model = big_model(120)
    assert len(model.operators) > MAX_OPS_DRAWN
    chart = flowchart(model, 0)
    assert "o0_" not in chart  # no per-operator nodes
    nodes = re.findall(r'^\s+(s0_\d+)\["', chart, flags=re.M)
    assert len(nodes) == 24  # 12 partitions and 12 CPU runs
    assert 's0_0["NNAPI partition 0<br/>9 ops (ops 0-8)"]:::delegated' in chart
    assert 's0_1["CPU<br/>1 op (op 9)<br/>CUSTOM:Foo"]:::cpu' in chart


def test_very_many_segments_are_elided() -> None:
    chart = flowchart(big_model(1000), 0)
    assert "more partitions and CPU runs" in chart
    assert len(re.findall(r'^\s+s0_\d+\["', chart, flags=re.M)) == 61


def test_escaping() -> None:
    text = MarkdownFormat().render(SYNTHETIC["tricky"]())
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "bad \\| pipe" in text
    # GitHub splits a table cell at any unescaped `|`, inside a code span too.
    assert '`` CUSTOM:a\\|b<c>&"d` ``' in text
    chart = text[text.index("```mermaid") :]
    chart = chart[: chart.index("\n```\n")]
    assert '"0: CUSTOM:a|b#lt;c#gt;#amp;#quot;d`"' in chart
    # No table row is broken by a raw newline from a message.
    rows = [line for line in text.splitlines() if line.startswith("| 0 | 0 |")]
    assert len(rows) == 2 and all(line.endswith("|") for line in rows)
    # Eight columns: nine cell separators, whatever the op name and the reason hold.
    assert [len(re.findall(r"(?<!\\)\|", line)) for line in rows] == [9, 9]


def test_refusal_multi_subgraph_and_unreadable() -> None:
    refused = MarkdownFormat().render(SYNTHETIC["refused"]())
    assert "> **Whole model refused**: `opcompatDynamicTensors`: tensor 3 is dynamic" in refused
    assert "| ❌ | `refused.tflite` |" in refused
    multi = MarkdownFormat().render(SYNTHETIC["multi"]())
    assert "Subgraph 0 (`main`):" in multi and "Subgraph 1 (`body`):" in multi
    assert multi.count("```mermaid") == 2
    mixed = MarkdownFormat().render(report_of(*SYNTHETIC["mixed"]().models))
    assert "3 models checked, 1 fully delegated, 1 unreadable." in mixed
    assert "| ❗ | `broken.tflite` | | | | | unreadable: not a TFLite flatbuffer" in mixed
    assert "| ✅ | `full.tflite` | 30 | 3/3 (100.0%) | 1 | 0 | API 28 |" in mixed


def test_models_that_share_a_file_name_are_told_apart(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1]))
    from fuzz.synth import chain

    from opcompat.formats.summary import display_names

    assert display_names(["x/a/m.tflite", "y/a/m.tflite", "b.tflite"]) == [
        "x/a/m.tflite",
        "y/a/m.tflite",
        "b.tflite",
    ]
    for d in ("speech", "vision"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "model.tflite").write_bytes(chain(1))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "opcompat",
            "check",
            "speech/model.tflite",
            "vision/model.tflite",
            "--format",
            "markdown",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(Path(__file__).parents[2]), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "### ✅ `speech/model.tflite`" in proc.stdout
    assert "### ✅ `vision/model.tflite`" in proc.stdout
    assert [line.split(":")[0] for line in proc.stderr.splitlines()] == [
        "speech/model.tflite",
        "vision/model.tflite",
    ]
