"""Android API levels, NNAPI feature levels, and the level the delegate validates against.

Single source for the level arithmetic. Facts from TFLite's
`delegates/nnapi/nnapi_delegate_kernel.h` (kMinSdkVersionForNNAPI*, kNNAPIRuntimeFeatureLevel*)
and `StatefulNnApiDelegate::DoPrepare` in `delegates/nnapi/nnapi_delegate.cc`.
"""
from __future__ import annotations

from typing import NamedTuple

from opcompat.errors import UsageError

# Constants as the delegate names them (nnapi_delegate_kernel.h).
SDK_NNAPI10 = 27
SDK_NNAPI11 = 28
SDK_NNAPI12 = 29
SDK_NNAPI13 = 30
FL5 = 31
FL6 = 1_000_006
FL7 = 1_000_007
FL8 = 1_000_008

MIN_API_LEVEL = 27
MAX_API_LEVEL = 35
API_LEVELS: tuple[int, ...] = tuple(range(MIN_API_LEVEL, MAX_API_LEVEL + 1))

# NNAPI feature level (1-8) as the delegate's code spells it: FL1-FL5 are the API levels
# 27-31; FL6-FL8 came with the updatable NNAPI module and are 1000006-1000008.
FEATURE_LEVEL_CODE: dict[int, int] = {1: 27, 2: 28, 3: 29, 4: 30, 5: 31, 6: FL6, 7: FL7, 8: FL8}

# The runtime feature level assumed for a device of each API level when the user states none.
# 33+ runs the updatable module, whose default on Android 13 is FL8
# (research/nnapi_sources.md, section 1; ANEURALNETWORKS_FEATURE_LEVEL_8 in NeuralNetworksTypes.h).
DEFAULT_FEATURE_LEVEL: dict[int, int] = {
    27: 1, 28: 2, 29: 3, 30: 4, 31: 5, 32: 5, 33: 8, 34: 8, 35: 8,
}

# The Android release of each API level, and its dessert letter (developer.android.com,
# "Android API levels" / android.os.Build.VERSION_CODES: O_MR1=27 ... VANILLA_ICE_CREAM=35).
ANDROID_VERSION: dict[int, str] = {
    27: "8.1", 28: "9", 29: "10", 30: "11", 31: "12", 32: "12L", 33: "13", 34: "14", 35: "15",
}
ANDROID_CODENAME: dict[int, str] = {
    27: "O", 28: "P", 29: "Q", 30: "R", 31: "S", 32: "Sv2", 33: "T", 34: "U", 35: "V",
}


def first_api_level(feature_level: int) -> int | None:
    """The lowest API level whose default runtime feature level reaches `feature_level` (1-8),
    or None when no API level 27..35 does."""
    for api in API_LEVELS:
        if DEFAULT_FEATURE_LEVEL[api] >= feature_level:
            return api
    return None


def first_api_for_validate_level(level: int) -> int | None:
    """The lowest API level whose default target hands Validate `level` (a delegate level
    number, 27..31 or 1000006..1000008) or more; None when none of 27..35 does."""
    for api in API_LEVELS:
        if make_target(api).validate_level >= level:
            return api
    return None


def feature_level_of_code(code: int) -> int:
    """The feature level (1-8) of a delegate level number (27..31 or 1000006..1000008)."""
    for fl, c in FEATURE_LEVEL_CODE.items():
        if c == code:
            return fl
    if code > FL5 and code < FL6:
        # A raw API level above 31 (the nnapi_cpu mode) is still below FL6 for every comparison.
        return 5
    raise ValueError(f"not a delegate level number: {code}")


class Target(NamedTuple):
    """The device a model is checked for, and what the delegate's Validate receives there."""

    api_level: int
    """Android API level of the device (android_sdk_version)."""
    feature_level: int
    """NNAPI runtime feature level of the device, 1-8."""
    nnapi_cpu: bool
    """True for disallow_nnapi_cpu=false with no accelerator named."""
    validate_level: int
    """The `android_sdk_version` argument Validate receives (27..35 or 1000006..1000008)."""
    is_accelerator_specified: bool
    """Validate's `is_accelerator_specified` argument."""


def make_target(
    api_level: int, feature_level: int | None = None, nnapi_cpu: bool = False
) -> Target:
    """Work out what the delegate validates against on a device.

    Source: `StatefulNnApiDelegate::DoPrepare` and `ShouldUseTargetDevices` in
    `delegates/nnapi/nnapi_delegate.cc`: below API 29 the raw API level is used; from 29 on, in
    the default device-targeted mode (disallow_nnapi_cpu=true), the runtime feature level is used
    and `is_accelerator_specified` is true; with disallow_nnapi_cpu=false and no accelerator named,
    the raw API level is used and `is_accelerator_specified` is false.
    """
    if api_level not in API_LEVELS:
        raise UsageError(
            f"--api-level must be between {MIN_API_LEVEL} and {MAX_API_LEVEL}, got {api_level}"
        )
    if feature_level is None:
        feature_level = DEFAULT_FEATURE_LEVEL[api_level]
    if feature_level not in FEATURE_LEVEL_CODE:
        raise UsageError(f"--feature-level must be between 1 and 8, got {feature_level}")
    # The runtime feature level can never exceed what the platform ships: API 27 has FL1 only.
    if api_level <= FL5 and FEATURE_LEVEL_CODE[feature_level] > api_level:
        raise UsageError(
            f"--feature-level {feature_level} is not possible on API level {api_level} "
            f"(at most {DEFAULT_FEATURE_LEVEL[api_level]})"
        )
    if api_level < SDK_NNAPI12:
        return Target(api_level, feature_level, nnapi_cpu, api_level, False)
    if nnapi_cpu:
        return Target(api_level, feature_level, True, api_level, False)
    return Target(api_level, feature_level, False, FEATURE_LEVEL_CODE[feature_level], True)
