"""The GPU target's command-line flags (`--gpu-no-quant`, `--gpu-no-opencl`).

Standard library only at module level (see `opcompat.cli`).
"""

from __future__ import annotations

import argparse
from typing import Any


def add_arguments(parser: Any) -> None:
    """Add the GPU delegate's options to a subcommand parser."""
    group = parser.add_argument_group(
        "GPU target (--target gpu)",
        "--max-partitions K is the delegate's max_delegated_partitions (default 1); opcompat's "
        "0 means no limit, while the delegate itself turns 0 or less into 1, so an app sets a "
        "large value to delegate every partition.",
    )
    group.add_argument(
        "--gpu-no-quant",
        action="store_true",
        help="the app clears TFLITE_GPU_EXPERIMENTAL_FLAGS_ENABLE_QUANT (allow_quant_ops "
        "false): quantized tensors, QUANTIZE and DEQUANTIZE stay on the CPU",
    )
    group.add_argument(
        "--gpu-no-opencl",
        action="store_true",
        help="a device without OpenCL (the delegate then excludes SPLIT and SPLIT_V); not the "
        "same as the GL_ONLY experimental flag, which excludes nothing",
    )


def options(args: argparse.Namespace) -> dict[str, Any]:
    """The GPU options of the parsed flags (keyword arguments of `opcompat.analysis.check`)."""
    return {"gpu_no_quant": args.gpu_no_quant, "gpu_no_opencl": args.gpu_no_opencl}
