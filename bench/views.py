"""The benchmark baseline: served only when BENCHMARK_ENDPOINTS is on (never in production).

It runs through the same server, middleware and database as the invite, but does the least a write
can do: insert one row and answer a small JSON body. The invite's throughput is reported as a
ratio of this one's, measured in the same run.
"""

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework.response import Response
from rest_framework.views import APIView

from appointments.api.serializers import parse_invite_request
from appointments.models import Appointment
from appointments.services import Actor, invite_create
from participants.permissions import EnterpriseToken

from .models import BaselineWrite


@csrf_exempt
@require_POST
def baseline_write(request):
    row = BaselineWrite.objects.create()
    return JsonResponse({"data": {"id": str(row.pk)}}, status=201)


# --- Breakdown (make bench BENCH_ARGS=--breakdown): between the baseline and the invite ---------


class ApiNoop(APIView):
    """What the invite costs before its own work: DRF with the invite's token check, enterprise
    permission and rate limit, and a small JSON answer; no body read, no database."""

    permission_classes = [EnterpriseToken]

    def post(self, request, enterprise):
        return Response({"data": {"id": "0"}}, status=201)


class ApiWrite(ApiNoop):
    """The same, plus the body parsed and the baseline's one-row insert."""

    def post(self, request, enterprise):
        request.data  # parsed (and its JSON checked) like the invite's
        row = BaselineWrite.objects.create()
        return Response({"data": {"id": str(row.pk)}}, status=201)


class ApiStatement(ApiNoop):
    """The same, with the invite's own SQL statement in place of the one-row insert: its text and
    parameters as one real invite made them (captured once per process). No rules, no rows built,
    no representation: the most that cuts in the invite's own Python could reach. PostgreSQL only,
    where an invite is written by one statement."""

    captured = None  # (sql, params), per process

    def post(self, request, enterprise):
        data = request.data
        if ApiStatement.captured is None:
            ApiStatement.captured = self.capture(data)
        sql, params = ApiStatement.captured
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()
        return Response({"data": {"id": "0"}}, status=201)

    def capture(self, data):
        statements = []

        def record(execute, sql, params, many, context):
            statements.append((sql, params))
            return execute(sql, params, many, context)

        actor = Actor(type=Appointment.ActorType.API_CLIENT, id="bench", channel=Appointment.Channel.API)
        with connection.execute_wrapper(record):
            invite_create(enterprise=self.enterprise, actor=actor, **parse_invite_request(data))
        # The write (config.inserts' one statement), not a lookup or a savepoint around it.
        [write] = [(sql, params) for sql, params in statements if sql.startswith("WITH ")]
        return write
