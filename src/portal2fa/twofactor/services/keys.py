"""Key rotation: re-encrypt every stored TOTP secret under the newest encryption key."""

from collections.abc import Callable

from django.db import transaction

from ..machinery import keys
from ..models import Authenticator


def secrets_rotate(
    batch_size: int = 1000, *, on_batch: Callable[[int], object] | None = None
) -> int:
    """Re-encrypt all secrets (old keys must still be configured after the new first one).
    `on_batch(n)` is called after each committed batch of n (the CLI's progress line)."""
    count = 0
    last_id = 0
    while True:
        with transaction.atomic():
            batch = list(
                Authenticator.objects.select_for_update()
                .filter(pk__gt=last_id)
                .order_by("pk")
                .only("pk", "encrypted_secret")[:batch_size]
            )
            if not batch:
                return count
            for authenticator in batch:
                if authenticator.has_app:  # enrolled with passkeys alone: no secret
                    authenticator.encrypted_secret = keys.rotate_secret(
                        authenticator.encrypted_secret
                    )
            Authenticator.objects.bulk_update(batch, ["encrypted_secret"])
        count += len(batch)
        if on_batch is not None:
            on_batch(len(batch))
        last_id = batch[-1].pk
