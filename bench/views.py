"""The benchmark baseline: served only when BENCHMARK_ENDPOINTS is on (never in production).

It runs through the same server, middleware and database as the invite, but does the least a write
can do: insert one row and answer a small JSON body. The invite's throughput is reported as a
ratio of this one's, measured in the same run.
"""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import BaselineWrite


@csrf_exempt
@require_POST
def baseline_write(request):
    row = BaselineWrite.objects.create()
    return JsonResponse({"data": {"id": str(row.pk)}}, status=201)
