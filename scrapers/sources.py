"""The pinned upstream source revisions the committed op tables are generated from.

`--source-dir DIR` expects local copies laid out as `DIR/<local>` for each source below:

    DIR/litert/tflite/converter/schema/schema.fbs
    DIR/litert/tflite/core/kernels/register.cc
    DIR/litert/tflite/converter/tools/versioning/runtime_version.cc
    DIR/litert/tflite/delegates/nnapi/nnapi_delegate.cc
    DIR/litert/tflite/delegates/nnapi/nnapi_delegate_kernel.h
    DIR/litert/tflite/builtin_ops.h
    DIR/litert/tflite/delegates/gpu/common/model_builder.cc
    DIR/litert/tflite/delegates/gpu/common/default/custom_parsers.cc
    DIR/litert/tflite/delegates/gpu/common/operations.cc
    DIR/litert/tflite/delegates/gpu/delegate.cc
    DIR/aosp/8.1/nn/runtime/include/NeuralNetworks.h      (also 9, 10, 11)
    DIR/aosp/12/runtime/include/NeuralNetworksTypes.h     (also 13)

i.e. the upstream path under `litert/` for LiteRT, and under `aosp/<release>/` for AOSP.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

LITERT_REPOSITORY = "google-ai-edge/LiteRT"
LITERT_COMMIT = "f67457790c9c2ab67347d6fe53270e8d3df20868"

GITILES = "https://android.googlesource.com"
GITHUB_RAW = "https://raw.githubusercontent.com"


@dataclass(frozen=True)
class Source:
    """One upstream file at a pinned revision."""

    key: str
    """Short name used in messages and in the manifest."""
    repository: str
    """Where the pinned revision lives (GitHub owner/name, or an AOSP gitiles project)."""
    path: str
    """Path inside that repository."""
    ref: str
    """The tag or branch the revision was taken from."""
    commit: str
    """The pinned commit."""
    git_blob: str | None
    """Git blob id of the expected content; None when not pinned (a `--ref` other than the pin)."""
    local: str
    """Path under `--source-dir`."""
    aosp_project: str | None = None
    """The AOSP gitiles project holding the commit, tried first over HTTP (None: GitHub only)."""

    def urls(self, mirror: str | None = None) -> list[str]:
        """Where to fetch it, in order. A `mirror` replaces every host (GitHub raw layout)."""
        if mirror:
            return [f"{mirror.rstrip('/')}/{self.repository}/{self.commit}/{self.path}"]
        urls = []
        if self.aosp_project:
            urls.append(f"{GITILES}/{self.aosp_project}/+/{self.commit}/{self.path}?format=TEXT")
        urls.append(f"{GITHUB_RAW}/{self.repository}/{self.commit}/{self.path}")
        return urls


def git_blob_id(data: bytes) -> str:
    """The git blob id of `data` (what `git hash-object` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _litert(key: str, path: str, blob: str) -> Source:
    return Source(
        key, LITERT_REPOSITORY, path, LITERT_COMMIT[:12], LITERT_COMMIT, blob, f"litert/{path}"
    )


LITERT_SOURCES: dict[str, Source] = {
    s.key: s
    for s in (
        _litert(
            "schema",
            "tflite/converter/schema/schema.fbs",
            "e8f89bcc93843da9c163998402fb799d2bb2a43e",
        ),
        _litert(
            "register",
            "tflite/core/kernels/register.cc",
            "d81d34acbec21b6449e045668c6d2ac53598a9cb",
        ),
        _litert(
            "runtime_version",
            "tflite/converter/tools/versioning/runtime_version.cc",
            "95a6c446e9ac9664a0f5018df406e198e2e05bf2",
        ),
        _litert(
            "nnapi_delegate",
            "tflite/delegates/nnapi/nnapi_delegate.cc",
            "969dea66ed91904f4be71ebb1f2ea019d3a5095b",
        ),
        _litert(
            "nnapi_delegate_kernel",
            "tflite/delegates/nnapi/nnapi_delegate_kernel.h",
            "8e5e8fef696323acf917d29348d8a84aef777042",
        ),
        _litert("builtin_ops", "tflite/builtin_ops.h", "21c59eb4045010a2214aceac7e337786380c378f"),
        _litert(
            "gpu_model_builder",
            "tflite/delegates/gpu/common/model_builder.cc",
            "1d671431183f9a073fb742fd52a3b4996bb81551",
        ),
        _litert(
            "gpu_custom_parsers",
            "tflite/delegates/gpu/common/default/custom_parsers.cc",
            "84e57fe217d1c60594144cbd934d4c1291e58183",
        ),
        _litert(
            "gpu_operations",
            "tflite/delegates/gpu/common/operations.cc",
            "026823daca03d04be48e3cb5dd2b206bec1a09d4",
        ),
        _litert(
            "gpu_delegate",
            "tflite/delegates/gpu/delegate.cc",
            "bc55a278c9326a3700d8cf4ca6dc01db777c09c3",
        ),
    )
}

_FRAMEWORKS_ML = "nxp-imx-android/aosp_platform_frameworks_ml"
_MODULES_NN = "LineageOS/android_packages_modules_NeuralNetworks"
_OLD_HEADER = "nn/runtime/include/NeuralNetworks.h"
_NEW_HEADER = "runtime/include/NeuralNetworksTypes.h"

# (release, repository, ref, commit, blob, path, AOSP project when the commit is AOSP's own)
_NNAPI_PINS = (
    (
        "8.1",
        _FRAMEWORKS_ML,
        "android-8.1.0_r1",
        "eca19e045e53582487709377dade37642116fe95",
        "beaf6befcb36f158470907722fe26aaa0aebdf18",
        _OLD_HEADER,
        "platform/frameworks/ml",
    ),
    (
        "9",
        _FRAMEWORKS_ML,
        "android-9.0.0_r1",
        "98701a8e04353b74993d6d42b4c479b07a63319c",
        "834c8c6927a979a23017b3ebc43768b32a29730f",
        _OLD_HEADER,
        "platform/frameworks/ml",
    ),
    (
        "10",
        _FRAMEWORKS_ML,
        "android-10.0.0_r1",
        "e53b7764f026d1c129493f0a8bd34b5b6766c355",
        "e02a6c9c5739ca69d317b57b68180059617c4620",
        _OLD_HEADER,
        "platform/frameworks/ml",
    ),
    (
        "11",
        _FRAMEWORKS_ML,
        "android-11.0.0_r1",
        "cf9e63da513abcc88a39ef6fc492468ea377f2ac",
        "1eb2f546658310671f4f076633bbb00de655916d",
        _OLD_HEADER,
        "platform/frameworks/ml",
    ),
    (
        "12",
        _MODULES_NN,
        "lineage-19.1",
        "9e49b2041e6cb2255174089b3989f4742276dc77",
        "5edf942a877a16189abf9dec9739cc192391d9a1",
        _NEW_HEADER,
        None,
    ),
    (
        "13",
        _MODULES_NN,
        "lineage-20.0",
        "99d8a8b1e6d508cae01fa74b54b938ad6c4c9097",
        "d09e8fbc1dc681391e7be2d60e9dfc5bf5f9b992",
        _NEW_HEADER,
        None,
    ),
)

NNAPI_RELEASES: tuple[str, ...] = tuple(p[0] for p in _NNAPI_PINS)

NNAPI_SOURCES: dict[str, Source] = {
    release: Source(
        f"nnapi_{release}", repo, path, ref, commit, blob, f"aosp/{release}/{path}", project
    )
    for release, repo, ref, commit, blob, path, project in _NNAPI_PINS
}


def litert_sources(ref: str | None = None) -> dict[str, Source]:
    """The LiteRT sources at the pin, or at another `ref` (then without a pinned blob)."""
    if ref is None or LITERT_COMMIT.startswith(ref):
        return dict(LITERT_SOURCES)
    return {
        k: Source(s.key, s.repository, s.path, ref, ref, None, s.local)
        for k, s in LITERT_SOURCES.items()
    }


# LiteRT sources read only by the delegate-mapping scraper (scrapers/delegate_mapping.py).
DELEGATE_MAPPING_KEYS: tuple[str, ...] = ("nnapi_delegate", "nnapi_delegate_kernel", "builtin_ops")

# LiteRT sources read only by the GPU parser scraper (scrapers/gpu_parsers.py), besides
# builtin_ops and schema.
GPU_PARSERS_KEYS: tuple[str, ...] = (
    "gpu_model_builder",
    "gpu_custom_parsers",
    "gpu_operations",
    "gpu_delegate",
)
