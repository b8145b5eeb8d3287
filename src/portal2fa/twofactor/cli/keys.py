"""`portal2fa keys new-encryption-key|rotate`: the TOTP secrets' encryption keys."""

from .parsing import CommandError


def register(commands) -> dict:
    keys = commands.add_parser("keys", help="encryption keys (kept outside the database)")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    new = keys_sub.add_parser("new-encryption-key", help="print a new Fernet key (for rotation)")
    new.set_defaults(handler=keys_new, needs_django=False)
    rotate = keys_sub.add_parser("rotate", help="re-encrypt every TOTP secret under the first key")
    rotate.set_defaults(handler=keys_rotate)
    return {"keys": keys_sub}


def keys_new(args) -> int:
    from .. import crypto

    print(crypto.new_fernet_key())
    return 0


def keys_rotate(args) -> int:
    from ..crypto import CryptoConfigError
    from ..models import Authenticator
    from ..services.keys import secrets_rotate
    from .progress import Progress

    try:
        with Progress("Re-encrypting secrets", Authenticator.objects.count()) as progress:
            count = secrets_rotate(on_batch=progress.add)
    except CryptoConfigError as error:
        raise CommandError(f"{error}: keep the old key listed after the new one") from None
    print(f"Re-encrypted {count} authenticator secrets under the first key.")
    return 0
