"""`portal2fa doctor`: how this project wired Portal 2FA in, and every system check it fails,
each with its fix. Runs even when the checks fail (the other commands refuse to)."""

from urllib.parse import urlsplit


def register(commands) -> None:
    doctor = commands.add_parser("doctor", help="check how the project wired Portal 2FA in")
    doctor.set_defaults(handler=doctor_run, reports_checks=True)


def doctor_run(args) -> int:
    from django.core import checks

    for label, value in _findings():
        print(f"{label:<14} {value}")
    problems = [m for m in checks.run_checks() if m.id and m.id.startswith("portal2fa.")]
    print()
    for message in problems:
        print(f"{message.id} ({'error' if message.is_serious() else 'warning'}): {message.msg}")
        if message.hint:
            print(f"  fix: {message.hint}")
    errors = sum(message.is_serious() for message in problems)
    print(
        f"{errors} error(s), {len(problems) - errors} warning(s)." if problems else "No problems."
    )
    return 1 if errors else 0


def _findings() -> list[tuple[str, str]]:
    from django.conf import settings

    from .. import integration
    from ..conf import setting

    middleware = list(settings.MIDDLEWARE)
    found = [("ROOT_URLCONF", settings.ROOT_URLCONF)]
    if integration.included():
        found.append(("URLs", _resolves_to("twofactor:signin-verify")))
    else:
        found.append(("URLs", "not included"))
    found.append(("LOGIN_URL", _resolves_to(settings.LOGIN_URL)))
    found.append(
        (
            "MIDDLEWARE",
            ", ".join(
                f"{name.rsplit('.', 1)[-1]} at {middleware.index(name) + 1}"
                if name in middleware
                else f"{name.rsplit('.', 1)[-1]} missing"
                for name in (integration.AUTH_MIDDLEWARE, integration.MIDDLEWARE)
            ),
        )
    )
    found.append(("site name", repr(setting("PORTAL2FA_SITE_NAME"))))
    keys = setting("PORTAL2FA_ENCRYPTION_KEYS") or []
    hash_key = setting("PORTAL2FA_HASH_KEY") or ""
    found.append(("keys", f"{len(keys)} encryption key(s), hash key of {len(hash_key)} characters"))
    return found


def _resolves_to(name_or_path) -> str:
    """'value -> /path/ -> the view it reaches' (what a request there would meet)."""
    from django.shortcuts import resolve_url
    from django.urls import NoReverseMatch, Resolver404, resolve

    from ..integration import view_name

    try:
        url = str(resolve_url(name_or_path))
    except NoReverseMatch:
        return f"{name_or_path!r} -> no such URL name"
    parts = urlsplit(url)
    if parts.netloc:
        return f"{url} (another site)"
    try:
        return f"{name_or_path!r} -> {parts.path} -> {view_name(resolve(parts.path).func)}"
    except Resolver404:
        return f"{name_or_path!r} -> {parts.path} -> no view (404)"
