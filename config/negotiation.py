"""Content negotiation for an API that answers JSON only."""

from rest_framework.negotiation import DefaultContentNegotiation

# Accept headers that take application/json as it is (None: no header, which DRF reads as */*).
_TAKES_JSON = frozenset({None, "*/*", "application/json"})


class JsonFirstNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, with the usual request answered without parsing its Accept header: one
    that takes JSON as it is, without ``?format=``, when JSON is the first renderer. That parsing
    was a few percent of an invite's time; so was building the query's dictionary only to find
    ``format`` missing from an empty query (an invite has none). Anything else, a 406 included, is
    DRF's to answer."""

    def select_renderer(self, request, renderers, format_suffix=None):
        first = renderers[0] if renderers else None
        if (
            first is not None
            and first.media_type == "application/json"
            and format_suffix is None
            and request.META.get("HTTP_ACCEPT") in _TAKES_JSON
            and (not request.META.get("QUERY_STRING") or self.settings.URL_FORMAT_OVERRIDE not in request.query_params)
        ):
            return first, first.media_type
        return super().select_renderer(request, renderers, format_suffix)
