"""Gunicorn settings for ``make serve`` (``gunicorn -c config/gunicorn.py config.wsgi``).

Environment: ``HOST``/``PORT`` (bind address), ``WEB_CONCURRENCY`` (workers; default 2 × cores + 1),
``GUNICORN_TIMEOUT`` (seconds; keep above GEOCODER_TIMEOUT), ``FORWARDED_ALLOW_IPS`` (the reverse
proxy's address, read by gunicorn itself), ``GUNICORN_ACCESS_LOG`` (a path or ``-``; the reverse
proxy usually logs requests already). Each worker keeps one database connection open
(DATABASE_CONN_MAX_AGE): workers × app servers must stay below PostgreSQL's max_connections.
"""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = timeout
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms correlation_id=%({x-correlation-id}o)s'
errorlog = "-"
# Requests are small JSON documents: refuse oversized request lines and headers early.
limit_request_line = 8190
limit_request_fields = 100
