"""The benchmark endpoints, served only under tools.bench.settings (never in production).

The baseline runs through the same server, middleware and database as the invite, but does the
least a write can do: insert one row and answer a small JSON body. The invite's throughput is
reported as a ratio of this one's, measured in the same run. ``api-noop`` and ``api-write`` are
steps between the two (``make bench BENCH_ARGS=--breakdown``).
"""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework.response import Response
from rest_framework.views import APIView

from participants.permissions import EnterpriseToken

from .models import BaselineWrite


@csrf_exempt
@require_POST
def baseline_write(request):
    row = BaselineWrite.objects.create()
    return JsonResponse({"data": {"id": str(row.pk)}}, status=201)


class ApiNoop(APIView):
    """The API's machinery alone: DRF with the invite's authentication (the token's lookup),
    enterprise permission and rate limit, and a small JSON answer; nothing written."""

    permission_classes = [EnterpriseToken]

    def post(self, request, enterprise):
        return Response({"data": {"id": "0"}}, status=201)


class ApiWrite(ApiNoop):
    """The same, plus the body read as the invite reads it and the baseline's one-row insert."""

    def post(self, request, enterprise):
        request.data  # parsed (and its JSON checked) like the invite's
        row = BaselineWrite.objects.create()
        return Response({"data": {"id": str(row.pk)}}, status=201)
