"""`portal2fa keys generate|new-encryption-key|rotate`: the keys kept outside the database."""

from .parsing import CommandError


def register(commands) -> dict:
    keys = commands.add_parser("keys", help="encryption keys (kept outside the database)")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    generate = keys_sub.add_parser(
        "generate", help="print every key a new installation needs, as environment lines"
    )
    generate.set_defaults(handler=keys_generate, needs_django=False)
    new = keys_sub.add_parser("new-encryption-key", help="print a new Fernet key (for rotation)")
    new.set_defaults(handler=keys_new, needs_django=False)
    rotate = keys_sub.add_parser("rotate", help="re-encrypt every TOTP secret under the first key")
    rotate.set_defaults(handler=keys_rotate)
    return {"keys": keys_sub}


def keys_generate(args) -> int:
    """The lines the README's settings snippet reads from the environment (a .env file, a secret
    store). Needs no working configuration: it is how a host gets one."""
    from ..core import crypto

    print(f"PORTAL2FA_ENCRYPTION_KEYS={crypto.new_fernet_key()}")
    print(f"PORTAL2FA_HASH_KEY={crypto.new_token()}")
    return 0


def keys_new(args) -> int:
    from ..core import crypto

    print(crypto.new_fernet_key())
    return 0


def keys_rotate(args) -> int:
    from ..core.crypto import CryptoConfigError
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
