"""The API's JSON renderer: what DRF's renders, written by orjson.

DRF's ``JSONRenderer`` builds a Python ``json`` encoder for every response; rendering an invite's
representation so was about a twentieth of the invite's instructions, orjson writes it in a
fraction of that. The output is DRF's, byte for byte, for everything but floats, which orjson
writes in their shortest form as ``json`` does, differing only in how exponents are spelled
(``1e-5`` for ``1e-05``; the same number). ``tests/config/test_renderers.py`` holds the two
renderers to each other.

Types orjson does not know natively (lazy translations, ``Decimal``, dates and times, …) go through
DRF's encoder, as they did. Where orjson would write something else or nothing, DRF's renderer
answers: an indent asked for, settings other than DRF's defaults (compact, unicode, strict),
integers beyond 64 bits, strings that are not valid Unicode. Two differences remain, both where
DRF fails with a 500: a non-finite float is written ``null``, and an enum member that is neither
a string nor a number is written as its value. The API has neither to write: the coordinates it
stores are checked to be in range (NaN is in no range), and its choices are strings.
"""

from __future__ import annotations

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

# Dates and times as DRF writes them (ISO 8601, "Z" for UTC, milliseconds), not as orjson would;
# dataclasses refused, as DRF's encoder refuses them.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
# U+2028 and U+2029 end lines in JavaScript: DRF escapes them, so that the JSON is valid JavaScript.
_LINE_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))


class OrjsonRenderer(JSONRenderer):
    # DRF's encoder keeps no state of its own: one is enough for every response.
    _default = staticmethod(JSONEncoder().default)

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if (
            data is None
            or not self.compact
            or self.ensure_ascii
            or not self.strict
            or self.get_indent(accepted_media_type, renderer_context or {}) is not None
        ):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            rendered = orjson.dumps(data, default=self._default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        for separator, escaped in _LINE_SEPARATORS:
            if separator in rendered:
                rendered = rendered.replace(separator, escaped)
        return rendered
