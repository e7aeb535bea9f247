"""Gunicorn settings for ``make serve`` and ``make bench`` (``gunicorn -c config/gunicorn.py config.wsgi``).

Environment: ``HOST``/``PORT`` (bind address), ``WEB_CONCURRENCY`` (workers; default cores + 1),
``GUNICORN_TIMEOUT`` (seconds; keep above GEOCODER_TIMEOUT), ``FORWARDED_ALLOW_IPS`` (the reverse
proxy's address, read by gunicorn itself), ``GUNICORN_ACCESS_LOG`` (a path or ``-``; the reverse
proxy usually logs requests already). Each worker keeps one database connection open
(DATABASE_CONN_MAX_AGE): workers × app servers must stay below PostgreSQL's max_connections.
"""

import gc
import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# An invite is mostly Python (the GIL: one core per worker), its database round trips short. With
# gunicorn's usual 2 × cores + 1, workers took turns on the cores with cold caches; on 2 cores,
# 3 workers served about a quarter more invites than 5 (make bench). A database far
# away (round trips of milliseconds) leaves cores idle: raise WEB_CONCURRENCY then.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() + 1)
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = timeout
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms correlation_id=%({x-correlation-id}o)s'
errorlog = "-"
# What gunicorn refuses itself, before the app, with an HTML page (a reverse proxy in front should
# refuse it first, in JSON: docs/operations.md). The request line: gunicorn's largest (a larger
# value means 8190, and 0 no limit at all); the longest documented one, a list with every filter
# at its cap (appointments/api/filters.py), is 6.4 KB. Header fields: at most 100, each at most
# 8190 bytes; the API reads none longer than 1 KB.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190


def post_worker_init(worker):
    """The application's objects, loaded by now, live as long as the worker: keep them out of the
    garbage collector's full collections, which otherwise walked all of them again and again."""
    gc.freeze()
