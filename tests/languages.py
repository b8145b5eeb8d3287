"""Translation switched on for a test, whatever the project's settings say.

Django picks its translation functions (real or "null") once, at their first use, from USE_I18N:
changing the setting is not enough by itself. Whenever a test changes USE_I18N (on, and back when
pytest-django's `settings` fixture restores it) the picked functions are dropped, so that the next
use picks again under the setting in force.
"""

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import translation

LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("ar", "العربية")]
LOCALE_MIDDLEWARE = "django.middleware.locale.LocaleMiddleware"
SESSIONS_MIDDLEWARE = "django.contrib.sessions.middleware.SessionMiddleware"


@receiver(setting_changed)
def _pick_translation_again(*, setting, **kwargs):
    if setting == "USE_I18N":
        translation._trans.__dict__.clear()


def translation_on(settings, *, middleware: bool = False) -> None:
    """Through pytest-django's `settings` fixture (which undoes it): USE_I18N, the languages above
    and, with middleware=True, LocaleMiddleware right after the sessions' (as Django documents)."""
    settings.USE_I18N = True
    settings.LANGUAGES = LANGUAGES
    if middleware and LOCALE_MIDDLEWARE not in settings.MIDDLEWARE:
        stack = list(settings.MIDDLEWARE)
        stack.insert(stack.index(SESSIONS_MIDDLEWARE) + 1, LOCALE_MIDDLEWARE)
        settings.MIDDLEWARE = stack
