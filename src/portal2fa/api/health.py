"""/healthz: the process answers. /readyz: it can serve: the database answers, every migration is
applied, the keys are loaded and work. 503 with the failing check named otherwise."""

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ..twofactor.machinery import keys

_migrated = False  # once all are applied, they stay applied for this process's code


def _database() -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _migrations() -> str:
    global _migrated
    if not _migrated:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            return f"{len(plan)} migration(s) not applied: run migrate"
        _migrated = True
    return "ok"


def _keys() -> str:
    if keys.decrypt_secret(keys.encrypt_secret("readyz")) != "readyz":
        return "the encryption keys do not round-trip"
    keys.token_digest("readyz")
    return "ok"


CHECKS = {"database": _database, "migrations": _migrations, "keys": _keys}


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as error:  # noqa: BLE001 - any failure means "not ready", named
            results[name] = f"{type(error).__name__}: {str(error)[:200]}"
    ready = all(value == "ok" for value in results.values())
    return JsonResponse(
        {"status": "ready" if ready else "not ready", "checks": results},
        status=200 if ready else 503,
    )
