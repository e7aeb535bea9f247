"""The bulk import's parser: the invite body's published JSON Schema, compiled, with DRF behind it.

Parsing each row through DRF's serializer was over a third of an imported row's time (see
docs/benchmarks.md). A row that the compiled schema (fastjsonschema) accepts is taken as it is;
every other row goes through ``parse_invite_request``, so that every error is DRF's, word for word.
The schema is the one the API publishes (drf-spectacular's, from ``InviteRequestSerializer``): it
never accepts a body that DRF would refuse, but for the two cases checked here.
"""

from __future__ import annotations

import fastjsonschema
from drf_spectacular.generators import SchemaGenerator

from .serializers import InviteRequestSerializer, parse_invite_request, repeated_languages


class InviteBodyParser:
    """``parser(body)``: ``parse_invite_request(body)``'s answer, for many bodies in a row."""

    def __init__(self):
        schemas = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
        # fastjsonschema reads JSON Schema up to draft 7, whose `contains` knows no maxContains: it
        # would refuse every body. The language rule is checked below instead.
        schemas["OneValuePerLanguage"] = {}
        root = {"$ref": "#/components/schemas/InviteRequest", "components": {"schemas": schemas}}
        self.accepts = fastjsonschema.compile(root)
        self.serializer = InviteRequestSerializer()  # one for every row: building one is costly

    def __call__(self, body) -> dict:
        try:
            self.accepts(body)
        except fastjsonschema.JsonSchemaException:
            return parse_invite_request(body, self.serializer)
        if _integral_floats(body) or _repeated_languages(body):
            # 5.0 is an integer to JSON Schema as to DRF, which makes it an int; and the compiled
            # schema leaves the language rule out.
            return parse_invite_request(body, self.serializer)
        return InviteRequestSerializer.invite_kwargs(body)


def _integral_floats(value) -> bool:
    if isinstance(value, float):
        return value.is_integer()
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return any(_integral_floats(child) for child in children)


def _repeated_languages(body: dict) -> bool:
    location = body.get("location")
    return location is not None and any(map(repeated_languages, location["translations"].values()))
