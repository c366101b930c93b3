"""A target that exists only in the tests: a trivial delegate that takes ADD alone, in at most
one partition (the largest), through the TFLite core's partitioner. It shows that a target is
its package and one member of TargetChoice."""

from __future__ import annotations

from opcompat.targets import TargetInfo

TARGET = TargetInfo(
    name="addonly",
    label="ADDONLY",
    delegate="a test delegate that accepts ADD alone",
    default_max_partitions=1,
)
