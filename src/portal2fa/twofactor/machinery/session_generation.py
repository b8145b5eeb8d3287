"""Sessions follow security changes: ending every session of a user but (optionally) one, and
every sign-in of theirs in progress.

Works for any user model and any session backend: each user has a generation number
(SessionGeneration, 0 without a row); a session records the number at its password step (login,
signals.py; or the own sign-in page's token, web/second_factor.py) and TwoFactorMiddleware ends a
session whose number is lower than the user's. The middleware re-reads the number every
PORTAL2FA_SESSION_CHECK_SECONDS per session (default 0: on every request, one indexed query).

A sign-in in progress (a live SignInChallenge: the password passed, the second factor not yet)
ends with the sessions, in the same transaction: someone who passed the password step before the
change cannot finish it with any factor.
"""

from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Subquery

from ..adapter import HostUser
from ..models import SessionGeneration, SignInChallenge

GENERATION_KEY = "portal2fa_generation"  # in a session: the user's generation at its login
CHECKED_KEY = "portal2fa_generation_checked"  # in a session: when it was last compared (epoch s)


def session_generation(user_pk: int) -> int:
    row = SessionGeneration.objects.filter(user_id=user_pk).values_list("generation").first()
    return row[0] if row else 0


# The own sign-in page reads the generation with the challenge under the per-user lock (one
# statement less at login). Read there, before login(), it can only be lower than or equal to a
# read at login (a generation only grows): a security change in between ends the new session
# rather than letting it survive, which is the stricter of the two.
NOTED_GENERATION = "_portal2fa_generation"


def generation_of(user_ref: OuterRef) -> Subquery:
    """The generation of the user `user_ref` (an OuterRef) as a subquery; NULL without a row."""
    return Subquery(SessionGeneration.objects.filter(user_id=user_ref).values("generation")[:1])


def note_generation(user: HostUser, generation: int | None) -> None:
    """Keep a generation read in this request on the user object, for the login that follows."""
    setattr(user, NOTED_GENERATION, generation or 0)


def generation_at_login(user: HostUser) -> int:
    """The generation noted on `user` in this request (used once), else read now."""
    noted = user.__dict__.pop(NOTED_GENERATION, None)
    return noted if noted is not None else session_generation(user.pk)


def sessions_end_others(
    *, user: HostUser, keep_session_key: str | None = None, keep_signin: int | None = None
) -> int:
    """End every session of `user` except the one with `keep_session_key` (if any), and every
    sign-in of theirs in progress except the challenge `keep_signin` (the one that made this
    change: a Temporary Access Pass resets the enrollment and goes on to enroll anew). Returns the
    new generation. Runs in the caller's transaction when there is one.

    A view keeping the *current* session must also put the returned number in request.session
    (web/second_factor.py keep_this_session does both), or its own save would write the old one back.
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
        signins_end(user=user, keep=keep_signin)
    if keep_session_key:
        store = import_module(settings.SESSION_ENGINE).SessionStore(keep_session_key)
        if store.get(SESSION_KEY) == str(user.pk):
            store[GENERATION_KEY] = generation
            store.save()
    return generation


def signins_end(*, user: HostUser, keep: int | None = None) -> int:
    """End the user's sign-ins in progress: each live token expires (at its own creation time, so
    no clock is needed). Completing a token is a conditional UPDATE on its expiry
    (services/attempt.py), so a completion racing this one either lands first (and its session
    holds the generation from before the change, which then ends it) or finds it expired.
    `keep`: the primary key of one challenge that goes on (see sessions_end_others)."""
    live = SignInChallenge.objects.filter(
        user_id=user.pk, completed_at=None, expires_at__gt=F("created_at")
    )
    if keep is not None:
        live = live.exclude(pk=keep)
    return live.update(expires_at=F("created_at"))


def generation_locked(user_pk: int) -> int:
    """The user's generation, its row locked until the end of the transaction: a change that
    raises it (sessions_end_others) waits for the caller, or the caller reads the raised value."""
    SessionGeneration.objects.bulk_create(
        [SessionGeneration(user_id=user_pk, generation=0)], ignore_conflicts=True
    )
    return (
        SessionGeneration.objects.select_for_update()
        .filter(user_id=user_pk)
        .values_list("generation", flat=True)
        .get()
    )
