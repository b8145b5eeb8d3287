"""What a use case that checks a second factor answers: done or refused, with the words to show."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str = ""  # why it was refused, for the page
    locked: bool = False  # the account's code budget is locked: no code is worth trying now
    backup_codes: tuple[str, ...] = ()  # a new set, shown once, when the change issued one
    nonce: str = ""  # a confirmation's nonce for the session, when one was granted
    done: bool = False  # nothing more to try this way (an app set up, or one that cannot be)
