"""gunicorn bench.peers.wsgi:application, with DJANGO_SETTINGS_MODULE=bench.peers.<contender>."""

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
