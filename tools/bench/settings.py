"""Settings for the benchmarks: production's, plus the benchmark app and its endpoints under /bench/.

    DJANGO_SETTINGS_MODULE=tools.bench.settings .venv/bin/python manage.py migrate
"""

from config.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tools.bench"]  # noqa: F405
ROOT_URLCONF = "tools.bench.urls"
