import pytest

from tools.smtp_sink import SmtpSink


@pytest.fixture(scope="session")
def smtp_server():
    server = SmtpSink().start()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server, settings):
    """Mail goes to a real local SMTP server through Django's SMTP backend (the suite's default is
    the in-memory outbox)."""
    smtp_server.reset()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    return smtp_server
