"""`portal2fa token …`, `portal2fa webhook …` and `portal2fa deliver`: added to the library's
command line (an entry point of the "portal2fa.cli" group) when this app is installed."""

import sys
import time
from datetime import timedelta

from ..twofactor.cli.parsing import CommandError

NOT_INSTALLED = (
    "this command needs the API app: pip install 'portal2fa[api]' and add \"portal2fa.api\" to "
    "INSTALLED_APPS"
)


def register(commands) -> None:
    token = commands.add_parser("token", help="admin API tokens")
    sub = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = sub.add_parser("create", help="create a token (printed once)")
    create.add_argument("name")
    create.add_argument(
        "--scope",
        action="append",
        required=True,
        help="read, reset, passes, settings or audit (repeat for several)",
    )
    create.add_argument("--expires-days", type=int, help="expires after this many days")
    create.set_defaults(handler=_installed(create_token))
    sub.add_parser("list", help="live tokens, with last use").set_defaults(
        handler=_installed(token_list)
    )
    revoke = sub.add_parser("revoke", help="revoke a token by name")
    revoke.add_argument("name")
    revoke.set_defaults(handler=_installed(revoke_token))

    hook = commands.add_parser("webhook", help="webhook endpoints and their deliveries")
    wsub = hook.add_subparsers(dest="webhook_command", required=True, metavar="ACTION")
    add = wsub.add_parser("add", help="add an endpoint (its signing secret is printed once)")
    add.add_argument("name")
    add.add_argument("url")
    add.add_argument("--event", action="append", help="an event type (repeat; default: all)")
    add.add_argument("--secret", default="", help="a whsec_ secret (default: a new one)")
    add.set_defaults(handler=_installed(webhook_add))
    wsub.add_parser("list", help="endpoints").set_defaults(handler=_installed(webhook_list))
    remove = wsub.add_parser("remove", help="remove an endpoint and its messages")
    remove.add_argument("name")
    remove.set_defaults(handler=_installed(webhook_remove))
    wsub.add_parser("types", help="the event types").set_defaults(handler=_installed(webhook_types))
    wsub.add_parser("failed", help="deliveries kept as failed").set_defaults(
        handler=_installed(webhook_failed)
    )
    replay = wsub.add_parser("replay", help="send failed deliveries again")
    replay.add_argument("--endpoint", help="only this endpoint's")
    replay.add_argument("--id", type=int, action="append", help="only this delivery (repeat)")
    replay.set_defaults(handler=_installed(webhook_replay))

    deliver = commands.add_parser("deliver", help="send the webhook outbox")
    deliver.add_argument(
        "--loop", action="store_true", help="keep running, polling for new messages"
    )
    deliver.add_argument(
        "--interval", type=float, default=1.0, help="with --loop: seconds between polls"
    )
    deliver.set_defaults(handler=_installed(deliver_outbox))


def _installed(handler):
    def run(args):
        from django.apps import apps

        if not apps.is_installed("portal2fa.api"):
            raise CommandError(NOT_INSTALLED)
        return handler(args)

    return run


def _when(value) -> str:
    from django.utils import timezone

    return f"{timezone.localtime(value):%Y-%m-%d %H:%M %Z}" if value else "never"


def create_token(args) -> int:
    from django.utils import timezone

    from .services.tokens import TokenError, token_create

    at = timezone.now()
    if args.expires_days is not None and not 1 <= args.expires_days <= 3650:
        raise CommandError("--expires-days must be between 1 and 3650")
    expires = at + timedelta(days=args.expires_days) if args.expires_days else None
    scopes = [s for value in args.scope for s in value.split(",")]
    try:
        new = token_create(actor=None, name=args.name, scopes=scopes, at=at, expires_at=expires)
    except TokenError as error:
        raise CommandError(str(error)) from None
    print(new.secret)
    print(
        f"Token {new.token.name!r} ({', '.join(new.token.scopes)}; expires {_when(expires)}). "
        "It is shown once: keep it now.",
        file=sys.stderr,
    )
    return 0


def token_list(args) -> int:
    from django.utils import timezone

    from .services.tokens import live_tokens

    print(f"{'Name':<30} {'Prefix':<12} {'Scopes':<32} {'Expires':<22} Last used")
    for token in live_tokens(at=timezone.now()):
        print(
            f"{token.name:<30} {token.prefix:<12} {','.join(token.scopes):<32} "
            f"{_when(token.expires_at):<22} {_when(token.last_used_at)}"
        )
    return 0


def revoke_token(args) -> int:
    from django.utils import timezone

    from .models import ApiToken
    from .services.tokens import TokenError, token_revoke

    token = ApiToken.objects.filter(name=args.name.strip(), revoked_at__isnull=True).first()
    if token is None:
        raise CommandError(f"no live token named {args.name!r} (see 'portal2fa token list')")
    try:
        token_revoke(actor=None, token_id=token.pk, at=timezone.now())
    except TokenError as error:
        raise CommandError(str(error)) from None
    print(f"Token {token.name!r} revoked.")
    return 0


def webhook_add(args) -> int:
    from django.utils import timezone

    from .services.webhooks import WebhookError, endpoint_create

    try:
        endpoint, secret = endpoint_create(
            actor=None,
            name=args.name,
            url=args.url,
            event_types=args.event,
            secret=args.secret,
            at=timezone.now(),
        )
    except WebhookError as error:
        raise CommandError(str(error)) from None
    print(secret)
    print(f"Endpoint {endpoint.name!r} added: give its receiver this secret.", file=sys.stderr)
    return 0


def _endpoint(name: str):
    from .models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.filter(name=name.strip()).first()
    if endpoint is None:
        raise CommandError(f"no webhook endpoint named {name!r} (see 'portal2fa webhook list')")
    return endpoint


def webhook_list(args) -> int:
    from .models import WebhookEndpoint

    print(f"{'Name':<24} {'URL':<50} Events")
    for endpoint in WebhookEndpoint.objects.all():
        print(f"{endpoint.name:<24} {endpoint.url:<50} {', '.join(endpoint.types) or 'all'}")
    return 0


def webhook_remove(args) -> int:
    from django.utils import timezone

    from .services.webhooks import endpoint_delete

    endpoint = _endpoint(args.name)
    endpoint_delete(actor=None, endpoint_id=endpoint.pk, at=timezone.now())
    print(f"Endpoint {endpoint.name!r} removed.")
    return 0


def webhook_types(args) -> int:
    from .events import all_event_types

    print("\n".join(all_event_types()))
    return 0


def webhook_failed(args) -> int:
    from .models import DeliveryStatus, WebhookMessage

    failed = WebhookMessage.objects.filter(status=DeliveryStatus.FAILED).select_related("endpoint")
    print(f"{'Id':<8} {'Endpoint':<20} {'Event':<28} {'Attempts':<8} Last error")
    for row in failed.order_by("-id")[:1000]:
        print(
            f"{row.pk:<8} {row.endpoint.name:<20} {row.event_type:<28} {row.attempts:<8} {row.last_error}"
        )
    return 0


def webhook_replay(args) -> int:
    from django.utils import timezone

    from .services.webhooks import deliveries_replay

    endpoint_id = _endpoint(args.endpoint).pk if args.endpoint else None
    count = deliveries_replay(
        actor=None, at=timezone.now(), message_ids=args.id, endpoint_id=endpoint_id
    )
    print(f"{count} failed deliver{'y' if count == 1 else 'ies'} queued again.")
    return 0


def deliver_outbox(args) -> int:
    """Until nothing is due (or, with --loop, until stopped): claim a batch, send, record."""
    from django.db import close_old_connections
    from django.utils import timezone

    from .delivery import Sender
    from .services.webhooks import Outcome, deliver_batch

    if args.interval <= 0 or args.interval > 3600:
        raise CommandError("--interval must be between 0 and 3600 seconds")
    sender, total, started = Sender(), Outcome(), time.monotonic()
    try:
        while True:
            outcome = deliver_batch(sender, now=timezone.now)
            if outcome is not None:
                total.add(outcome)
                continue
            if not args.loop:
                break
            close_old_connections()
            time.sleep(args.interval)
    except KeyboardInterrupt:
        pass
    finally:
        sender.close()
    for error in total.errors:
        print(f"failed: {error}", file=sys.stderr)
    print(
        f"Delivered {total.delivered}; {total.retrying} to retry later; "
        f"{total.failed} failed for good (see 'portal2fa webhook failed'). "
        f"{time.monotonic() - started:.2f} s."
    )
    return 0
