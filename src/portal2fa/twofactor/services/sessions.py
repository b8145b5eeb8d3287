"""Sessions follow security changes: ending every session of a user but (optionally) one.

Works for any user model and any session backend: each user has a generation number
(SessionGeneration, 0 without a row); a session records the number at login (signals.py) and
TwoFactorMiddleware ends a session whose number is lower than the user's. The middleware re-reads
the number at most every PORTAL2FA_SESSION_CHECK_SECONDS per session (default 30; 0 = on every
request), so a passed session costs no query on most requests.
"""

from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import IntegrityError, transaction
from django.db.models import F, Subquery

from ..models import SessionGeneration

GENERATION_KEY = "portal2fa_generation"  # in a session: the user's generation at its login
CHECKED_KEY = "portal2fa_generation_checked"  # in a session: when it was last compared (epoch s)


def session_generation(user_pk) -> int:
    row = SessionGeneration.objects.filter(user_id=user_pk).values_list("generation").first()
    return row[0] if row else 0


# The own sign-in page reads the generation with the challenge under the per-user lock (one
# statement less at login). Read there, before login(), it can only be lower than or equal to a
# read at login (a generation only grows): a security change in between ends the new session
# rather than letting it survive, which is the stricter of the two.
NOTED_GENERATION = "_portal2fa_generation"


def generation_of(user_ref):
    """The generation of the user `user_ref` (an OuterRef) as a subquery; NULL without a row."""
    return Subquery(SessionGeneration.objects.filter(user_id=user_ref).values("generation")[:1])


def note_generation(user, generation: int | None) -> None:
    """Keep a generation read in this request on the user object, for the login that follows."""
    setattr(user, NOTED_GENERATION, generation or 0)


def generation_at_login(user) -> int:
    """The generation noted on `user` in this request (used once), else read now."""
    noted = user.__dict__.pop(NOTED_GENERATION, None)
    return noted if noted is not None else session_generation(user.pk)


def sessions_end_others(*, user, keep_session_key: str | None = None) -> int:
    """End every session of `user` except the one with `keep_session_key` (if any). Returns the
    new generation. Runs in the caller's transaction when there is one.

    A view keeping the *current* session must also put the returned number in request.session
    (web/session.py keep_this_session does both), or its own save would write the old one back.
    """
    with transaction.atomic():
        bumped = SessionGeneration.objects.filter(user_id=user.pk).update(
            generation=F("generation") + 1
        )
        if not bumped:
            try:
                with transaction.atomic():
                    SessionGeneration.objects.create(user_id=user.pk, generation=1)
            except IntegrityError:  # created concurrently: raise that one
                SessionGeneration.objects.filter(user_id=user.pk).update(
                    generation=F("generation") + 1
                )
        generation = session_generation(user.pk)
    if keep_session_key:
        store = import_module(settings.SESSION_ENGINE).SessionStore(keep_session_key)
        if store.get(SESSION_KEY) == str(user.pk):
            store[GENERATION_KEY] = generation
            store.save()
    return generation
