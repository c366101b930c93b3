"""TFLite's GPU delegate (`tflite/delegates/gpu/delegate.cc`, `common/model_builder.cc`).

Modelled: the node-support decision of `GetOpsToReplace` (each parser's `IsSupported`,
`CheckGpuDelegateCompatibility`, the tensor check), the fp16 partition helper, the largest-N
partition cap, the exclusion of SPLIT and SPLIT_V without OpenCL, and `BuildFinalModel` of each
delegated partition. Not modelled: the OpenCL/OpenGL backends' own kernel selection, device
allow and deny lists, precision options, custom parsers of other builds.
"""

from __future__ import annotations

from opcompat.targets import TargetInfo

DEFAULT_MAX_PARTITIONS = 1
"""`TfLiteGpuDelegateOptionsV2Default().max_delegated_partitions` (delegate.cc turns a value
of 0 or less into 1)."""

TARGET = TargetInfo(
    name="gpu",
    label="GPU",
    delegate="TFLite's GPU delegate",
    default_max_partitions=DEFAULT_MAX_PARTITIONS,
)
