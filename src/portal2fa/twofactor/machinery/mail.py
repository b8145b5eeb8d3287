"""Every mail the library sends to a user is written here, in that user's language.

The adapter's user_language(user) names the language; the subject and body are written while it
is active, so each translated text and localized date in them is in that language (whoever
triggered the mail: the user, an administrator or a command). The message's Content-Language
header names the language it was written in.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation

from ..adapter import HostUser, get_adapter


def in_language_of(user: HostUser) -> translation.override:
    """`with in_language_of(user):` writes what is meant for `user` in their language."""
    return translation.override(language_of(user))


def language_of(user: HostUser) -> str:
    """The adapter's user_language(user) as one of LANGUAGES ("de-at" may be served by "de"), else
    LANGUAGE_CODE: a choice the site no longer offers is not half-served from stray catalogues."""
    wanted = get_adapter().user_language(user) or settings.LANGUAGE_CODE
    try:
        return translation.get_supported_language_variant(wanted)
    except LookupError:
        return settings.LANGUAGE_CODE


def user_mail(
    *, user: HostUser, write: Callable[[], tuple[str, str]], to: list[str]
) -> EmailMessage:
    """The mail to `user` whose (subject, body) `write()` returns, written in their language."""
    with in_language_of(user):
        subject, body = write()
        language = translation.get_language()
    return EmailMessage(str(subject), str(body), None, to, headers={"Content-Language": language})


def send_user_mail(
    *,
    user: HostUser,
    write: Callable[[], tuple[str, str]],
    to: list[str],
    connection: Any = None,
) -> bool:
    """Write (in the user's language) and send one mail to `to`; True when the backend took it.
    OSError (a mail server that is down) is the caller's to handle."""
    message = user_mail(user=user, write=write, to=to)
    message.connection = connection
    return bool(message.send())
