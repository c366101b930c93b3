"""The GPU delegate's messages in plain words (registered by `opcompat.plain_words`): those that
quote TfLiteTypeGetName names. Source: targets/gpu/compatibility.py (the port of
gpu_compatibility.cc) and targets/gpu/parsers.py.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from opcompat.plain_words import TYPE_GET_NAME, Renderer, type_word

PREFIXES: tuple[str, ...] = ()


def _cast(m: re.Match[str]) -> str:
    """The `Not supported Cast case` message."""
    return f"casting {type_word(m['src'])} to {type_word(m['dst'])} is not supported"


TEMPLATES: tuple[tuple[re.Pattern[str], Renderer], ...] = (
    (re.compile(rf"Not supported Cast case\. Input type: (?P<src>{TYPE_GET_NAME}) and output "
                rf"type: (?P<dst>{TYPE_GET_NAME})"), _cast),
    (re.compile(rf"(?P<op>\S+) supports int32 tensor for axes\. But node has "
                rf"(?P<t>{TYPE_GET_NAME})"),
     lambda m: f"{m['op']} needs int32 axes, but they are {type_word(m['t'])}"),
    (re.compile(rf"Expected (?P<ok>int8, int4, int2, or float32), but got (?P<t>{TYPE_GET_NAME}) "
                r"for input #(?P<i>\d+)\."),
     lambda m: f"input #{m['i']} must be int8, int4, int2 or float32, but it is "
               f"{type_word(m['t'])}"),
)
"""Whole-message templates: (pattern, renderer)."""

INLINE: tuple[Callable[[str], str], ...] = ()
