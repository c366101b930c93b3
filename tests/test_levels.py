"""The API level -> feature level -> Validate arguments mapping of
`opcompat.targets.nnapi.levels.make_target`."""
from __future__ import annotations

import pytest

from opcompat.targets.nnapi.levels import API_LEVELS, FL5, FL6, FL7, FL8, make_target

# API level -> (default feature level, the android_sdk_version Validate receives).
DEFAULT_MAPPING = {
    27: (1, 27),
    28: (2, 28),
    29: (3, 29),
    30: (4, 30),
    31: (5, FL5),
    32: (5, FL5),
    33: (8, FL8),
    34: (8, FL8),
    35: (8, FL8),
}


def test_mapping_covers_every_api_level() -> None:
    assert tuple(DEFAULT_MAPPING) == API_LEVELS


@pytest.mark.parametrize("api,feature_level,validate_level", [
    (api, fl, level) for api, (fl, level) in DEFAULT_MAPPING.items()
])
def test_default_mapping(api: int, feature_level: int, validate_level: int) -> None:
    target = make_target(api)
    assert target.api_level == api
    assert target.feature_level == feature_level
    assert target.validate_level == validate_level
    assert target.nnapi_cpu is False
    # Below 29 the delegate passes is_accelerator_specified=false; from 29 the default
    # device-targeted mode (disallow_nnapi_cpu=true) passes true.
    assert target.is_accelerator_specified is (api >= 29)


def test_validate_levels_are_the_delegate_constants() -> None:
    assert (FL5, FL6, FL7, FL8) == (31, 1_000_006, 1_000_007, 1_000_008)


@pytest.mark.parametrize("api", [33, 34, 35])
@pytest.mark.parametrize("feature_level,validate_level", [(6, FL6), (7, FL7), (8, FL8)])
def test_explicit_updatable_feature_levels(
    api: int, feature_level: int, validate_level: int
) -> None:
    target = make_target(api, feature_level)
    assert target.feature_level == feature_level
    assert target.validate_level == validate_level
    assert target.is_accelerator_specified is True
    assert target.nnapi_cpu is False


@pytest.mark.parametrize("api", API_LEVELS)
def test_nnapi_cpu_uses_the_raw_api_level(api: int) -> None:
    target = make_target(api, nnapi_cpu=True)
    assert target.validate_level == api
    assert target.is_accelerator_specified is False
    assert target.feature_level == DEFAULT_MAPPING[api][0]
    # Below 29 the mode makes no difference to what Validate receives.
    if api < 29:
        default = make_target(api)
        assert (target.validate_level, target.is_accelerator_specified) == (
            default.validate_level,
            default.is_accelerator_specified,
        )


@pytest.mark.parametrize("api", [33, 34, 35])
def test_nnapi_cpu_ignores_an_explicit_feature_level_for_validate(api: int) -> None:
    target = make_target(api, 6, nnapi_cpu=True)
    assert target.feature_level == 6
    assert target.validate_level == api
    assert target.is_accelerator_specified is False
