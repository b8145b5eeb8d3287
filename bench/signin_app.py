"""Settings and WSGI app for bench/signin.py: the demo portal plus a bare-login view (signin_urls).

The bare view is the floor of the verify step: a POST that calls django.contrib.auth.login() on the
same stack (middleware, database sessions, CSRF) and redirects, nothing else.
"""

from portal2fa.config.test_settings import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "signin_urls"
LOGGING = {"version": 1, "disable_existing_loggers": False}


def application(environ, start_response):
    global _app
    try:
        app = _app
    except NameError:
        from django.core.wsgi import get_wsgi_application

        app = _app = get_wsgi_application()
    return app(environ, start_response)
