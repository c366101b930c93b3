"""Named predicates shared by many rules: the delegate's `Expect*` helpers.

Each predicate's docstring has two parts: its first line is the reason shown to users (the
delegate's own message, with the predicate's arguments formatted in), and a `Source:` line that
cites where the rule comes from. `@predicate(code)` turns a function that returns the condition
into one that records a failure with that code when the condition is false.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from opcompat.model.graph import Tensor, TensorType
from opcompat.report import Reason
from opcompat.targets.nnapi.rules.context import OpContext

DELEGATE_SOURCE = "tflite/delegates/nnapi/nnapi_delegate.cc"

PredicateFn = Callable[..., bool]


def docstring_parts(fn: Callable[..., Any]) -> tuple[str, str]:
    """(reason template, source) from a predicate's docstring."""
    # Not inspect.getdoc: importing inspect costs more than every rule module together, and
    # only the stripped first line and the Source: line are needed.
    lines = [line.strip() for line in (fn.__doc__ or "").strip().splitlines()]
    template = lines[0] if lines else fn.__name__
    source = ""
    for line in lines[1:]:
        if line.startswith("Source:"):
            source = line[len("Source:"):].strip()
    return template, source


def predicate(code: str) -> Callable[[PredicateFn], PredicateFn]:
    """Make `fn(ctx, ...) -> bool` record `Reason(code, <docstring line 1>, <Source:>)` on False."""

    def wrap(fn: PredicateFn) -> PredicateFn:
        template, source = docstring_parts(fn)
        names, defaults = _parameters(fn)

        @functools.wraps(fn)
        def check(ctx: OpContext, *args: Any, **kwargs: Any) -> bool:
            ok = bool(fn(ctx, *args, **kwargs))
            if not ok:
                values = {**defaults, **dict(zip(names, args, strict=False)), **kwargs}
                shown = {k: _show(v) for k, v in values.items()}
                ctx.failures.append(Reason(code, template.format(**shown), source))
            return ok

        check.reason_code = code  # type: ignore[attr-defined]
        check.reason_template = template  # type: ignore[attr-defined]
        check.source = source  # type: ignore[attr-defined]
        return check

    return wrap


def _parameters(fn: Callable[..., Any]) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The names of `fn`'s parameters after `ctx`, and their defaults (from its code object:
    inspect.signature would import inspect, slow for a short-lived process)."""
    code = fn.__code__
    if code.co_flags & (0x04 | 0x08) or code.co_kwonlyargcount:  # *args, **kwargs, kw-only
        raise TypeError(f"predicate {fn.__name__} must take plain positional parameters")
    names = code.co_varnames[1 : code.co_argcount]
    given = fn.__defaults__ or ()
    return names, dict(zip(names[len(names) - len(given) :], given, strict=True))


def _show(value: Any) -> Any:
    """Format type lists the way the delegate's messages spell them."""
    if isinstance(value, (tuple, list, frozenset, set)):
        return ", ".join(tflite_type_name(v) if isinstance(v, int) else str(v) for v in value)
    return value


_TFLITE_TYPE_NAMES = {
    TensorType.FLOAT32: "kTfLiteFloat32",
    TensorType.FLOAT16: "kTfLiteFloat16",
    TensorType.INT32: "kTfLiteInt32",
    TensorType.UINT8: "kTfLiteUInt8",
    TensorType.INT64: "kTfLiteInt64",
    TensorType.STRING: "kTfLiteString",
    TensorType.BOOL: "kTfLiteBool",
    TensorType.INT16: "kTfLiteInt16",
    TensorType.COMPLEX64: "kTfLiteComplex64",
    TensorType.INT8: "kTfLiteInt8",
    TensorType.FLOAT64: "kTfLiteFloat64",
}


def tflite_type_name(t: int) -> str:
    """`kTfLiteFloat32`-style name of a tensor type, as the delegate's messages use."""
    return _TFLITE_TYPE_NAMES.get(t, f"TensorType({int(t)})")  # type: ignore[call-overload]


# Type classes of the delegate (IsFloat, IsQuantized, ... in nnapi_delegate.cc).
FLOAT = frozenset({TensorType.FLOAT32})
QUANT8 = frozenset({TensorType.UINT8, TensorType.INT8})
FLOAT_OR_UINT8 = FLOAT | {TensorType.UINT8}
FLOAT_OR_QUANT8 = FLOAT | QUANT8
FLOAT_OR_INT32 = FLOAT | {TensorType.INT32}
FLOAT_QUANT8_OR_INT32 = FLOAT_OR_QUANT8 | {TensorType.INT32}


def dtype_of(tensor: Tensor | None) -> int | None:
    return None if tensor is None else int(tensor.dtype)


@predicate("kUnsupportedAndroidVersion")
def expect_min_level(ctx: OpContext, min_version: int) -> bool:
    """Android sdk version less than {min_version}

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, ExpectMinAndroidSdkVersion.
    """
    return ctx.level >= min_version


@predicate("kUnsupportedOperatorVersion")
def expect_max_op_version(ctx: OpContext, max_version: int) -> bool:
    """OP Version higher than {max_version}

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, ExpectMaxOpVersion.
    """
    return ctx.version <= max_version


@predicate("kUnsupportedOperatorVersion")
def expect_op_version(ctx: OpContext, max_version: int) -> bool:
    """OP Version different from {max_version}

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, ExpectOpVersion.
    """
    return ctx.version <= max_version


@predicate("kUnsupportedInputType")
def expect_is_float_operator(ctx: OpContext) -> bool:
    """Input should be Float

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, ExpectIsFloatOperator.
    """
    return dtype_of(ctx.input(0)) in FLOAT


@predicate("kUnsupportedInputType")
def expect_is_float_or_uint8_operator(ctx: OpContext) -> bool:
    """Input should be Float or UINT8

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, ExpectIsFloatOrUint8Operator.
    """
    return dtype_of(ctx.input(0)) in FLOAT_OR_UINT8


@predicate("kUnsupportedInputType")
def expect_is_float_or_quant8_operator(ctx: OpContext) -> bool:
    """Input should be Float or Quant8

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, ExpectIsFloatOrQuant8Operator.
    """
    return dtype_of(ctx.input(0)) in FLOAT_OR_QUANT8


@predicate("kUnsupportedInputType")
def expect_is_float_or_int32_operator(ctx: OpContext) -> bool:
    """Input should be Float or Int32

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, ExpectIsFloatOrInt32Operator.
    """
    return dtype_of(ctx.input(0)) in FLOAT_OR_INT32


@predicate("kUnsupportedInputType")
def expect_is_float_quant8_or_int32_operator(ctx: OpContext) -> bool:
    """Input should be Float, Quant8, or Int32

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, ExpectIsFloatQuant8OrInt32Operator.
    """
    return dtype_of(ctx.input(0)) in FLOAT_QUANT8_OR_INT32


@predicate("kUnsupportedInputType")
def expect_input_type_in(ctx: OpContext, actual: int | None, allowed: Iterable[int]) -> bool:
    """Input type not in expected list {allowed}

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, EXPECT_INPUT_TYPE_IN / ExpectTypeIn.
    """
    return actual in set(allowed)


@predicate("kNotRestrictedScaleCompliant")
def expect_restricted_scales_compliant(ctx: OpContext) -> bool:
    """When using NN API version 1.0 or 1.1, input_scale * filter_scale < output_scale.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, ExpectIsRestrictedScalesCompliant.
    """
    inp, flt, out = ctx.input(0), ctx.input(1), ctx.output(0)

    def scale(t: Tensor | None) -> float:
        return t.quantization.legacy_scale if t is not None and t.quantization else 0.0

    # float32 arithmetic, as in C++.
    import struct

    product = struct.unpack("f", struct.pack("f", scale(inp) * scale(flt)))[0]
    return product < scale(out)
