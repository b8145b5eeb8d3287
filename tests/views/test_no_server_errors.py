"""Bad input never produces a 500, on any URL, for any kind of visitor.

1. The broadside: every URL pattern of the URLconf (converters filled with ids / names of existing
   objects and with junk) is requested by an anonymous visitor, a signed-in ordinary user with an
   enrolled authenticator and an administrator: GET with one junk value in every query parameter
   the views read, POST with one junk value in every form field the views read, and once more with
   every junk value at once as a multi-valued parameter.
2. One field at a time: each form posted valid except for one junk (or missing) field, so the junk
   reaches the code behind the form's validation too.
3. Half-way through a sign-in: a visitor with a live token posts junk to the code, enrollment
   and skip steps.
4. A junk ?next= on the password step, followed by each step that can finish a sign-in.

Every request must answer below 500, and no text/html page may echo the script tag unescaped.
Failures are collected per test and reported together: visitor, method, URL, parameters, and the
exception with the innermost frame of the project's code.
"""

import itertools
import logging
import re
import traceback
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django import forms as django_forms
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RoutePattern
from django.utils import timezone

from portal2fa.accounts import forms as account_forms
from portal2fa.accounts.models import SecurityRole
from portal2fa.audit.models import Action
from portal2fa.twofactor import audit_forms
from portal2fa.twofactor import forms as twofactor_forms
from portal2fa.twofactor.machinery import keys
from portal2fa.twofactor.models import Authenticator, TwoFactorSettings
from portal2fa.twofactor.selectors import exports
from portal2fa.twofactor.services.challenge import challenge_load
from portal2fa.twofactor.web.second_factor import TOKEN_KEY, VERIFIED_KEY
from tests.conftest import PASSWORD

from .helpers import current_code

XSS = "<script>alert(1)</script>"

JUNK = [
    "",
    "x" * 10000,
    "\x00",
    "ü€漢",
    "-1",
    "99999999999999999999999",
    "²",
    "9999-12-31",
    "0001-01-01",
    "' OR 1=1 --",
    XSS,
    "%00",
    "javascript:alert(1)",
]
# More junk for the deeper passes: almost-valid ids and numbers, lists, control characters.
MORE_JUNK = ["0", "9223372036854775808", "9" * 5000, "1,2,,x", "\x1b[31m"]
OMITTED = object()  # the field is left out of the request

# Every query parameter a view reads (request.GET.get, or a form bound to request.GET).
QUERY_PARAMS = (
    "q",
    "user",
    "page",
    "action",
    "date_from",
    "date_to",
    "next",
    "state",  # the 2FA user list's filter and keyset cursor
    "role",
    "overdue",
    "after",
    "method",  # the verify step's choice of method
)
# Every form field a view reads (request.POST.get, or a form bound to request.POST).
FORM_FIELDS = (
    "email",
    "password",
    "code",
    "start",
    "user",
    "reason",
    "confirmed",
    "q",
    "full_name",
    "role",
    "is_active",
    "name",
    "type",
    "requires_2fa",
    "enabled",
    "enrollment_required",
    "max_invalid_attempts",
    "clock_skew_steps",
    "backup_codes_per_set",
    "low_codes_threshold",
    "issuer_name",
    "roles_requiring_2fa",
    "roles_shown",
    "active",
    "current_password",
    "new_password1",
    "new_password2",
    "email_codes_allowed",
    "passkeys_allowed",
    "roles_allowing_email",
    "roles_allowing_passkey",
    "roles_allowing_sms",
    "sms_codes_allowed",
    "methods_shown",
    "send",
    "enforcement",
    "trust_days",
    "trust_browser",
    "roles_always_second_factor",
    "roles_always_second_factor_shown",
    "reset_needs_access_pass",
    "access_pass",
    "request_id",
    "pass_next",
    "issue_pass",
    "deadlines_shown",
    "days",
    "until",
    "reminder_days",
    "state",  # "Send a reminder now" to a filtered list
    "overdue",
)
MULTI_VALUE_FIELDS = (
    "roles_requiring_2fa",
    "roles_allowing_email",
    "roles_allowing_passkey",
    "roles_allowing_sms",
    "roles_always_second_factor",
)

# Path converters: junk besides the ids / names of existing objects.
JUNK_INTS = ["0", "999999999", "99999999999999999999999"]  # the last is past any integer column
JUNK_SLUGS = ["x", "bogus"]


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_throttles(settings):
    """Junk must reach the code under test, not the throttle page."""
    settings.PORTAL2FA_PASSWORD_FAILURES_PER_ACCOUNT = 1_000_000
    settings.PORTAL2FA_PASSWORD_FAILURES_PER_ADDRESS = 1_000_000
    settings.PORTAL2FA_PASSWORD_FAILURES_PER_DEVICE = 1_000_000
    settings.PORTAL2FA_CODE_FAILURES_BEFORE_DELAY = 1_000_000
    settings.PORTAL2FA_CODE_FAILURES_LOCK = 1_000_000


class CheapArgon2(Argon2PasswordHasher):
    """Argon2 at its cheapest: the sign-ins here test input handling, not the hash's cost."""

    time_cost = 1
    memory_cost = 8
    parallelism = 1


@pytest.fixture(autouse=True)
def _cheap_passwords(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CheapArgon2"]


def _signs_in(user):
    """Give `user` PASSWORD, hashed cheaply (the shared fixture's hash takes ~0.1 s to check)."""
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


@pytest.fixture(autouse=True)
def _quiet_request_log():
    """Thousands of expected 4xx warnings stay out of the output (500s are still logged)."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def _signed_in_as(client) -> str | None:
    """The user id of a session past the second factor (a held session is still signing in)."""
    session = client.session
    user_key = session.get("_auth_user_id")
    return user_key if user_key and session.get(VERIFIED_KEY) == user_key else None


@dataclass
class Visitor:
    label: str
    client: Client = field(default_factory=lambda: Client(raise_request_exception=False))
    user: object = None  # None: anonymous
    _cookie: str | None = None  # the session cookie when last checked

    def reset(self) -> None:
        """Back to who this visitor is: a request may have signed it in or out (that changes the
        session cookie, so the session is only read again when the cookie changed)."""
        morsel = self.client.cookies.get("sessionid")
        cookie = morsel.value if morsel else None
        if cookie is not None and cookie == self._cookie:
            return
        signed_in_as = _signed_in_as(self.client) if cookie else None
        if self.user is None and signed_in_as:
            self.client.logout()
        elif self.user is not None and signed_in_as != str(self.user.pk):
            self.client.force_login(self.user)
        morsel = self.client.cookies.get("sessionid")
        self._cookie = morsel.value if morsel else None


@dataclass
class World:
    anonymous: Visitor
    ordinary: Visitor  # enrolled; its secret is `secret`
    admin: Visitor
    secret: str
    victim: object  # an enrolled user the administrator's requests may change
    victim_role: SecurityRole
    admin_role: SecurityRole

    @property
    def staff_role(self) -> SecurityRole:
        return self.ordinary.user.role


@pytest.fixture
def world(enrolled, admin_user, admin_role, make_user, make_role, enroll) -> World:
    victim_role = make_role("Victim Role", requires_2fa=False)
    victim = make_user("victim@example.com", role=victim_role, name="Victor Victim")
    enroll(victim)
    return World(
        anonymous=Visitor("anonymous"),
        ordinary=Visitor("ordinary", user=_signs_in(enrolled.user)),
        admin=Visitor("admin", user=admin_user),
        secret=enrolled.secret,
        victim=victim,
        victim_role=victim_role,
        admin_role=admin_role,
    )


# --- sending and checking ------------------------------------------------------------------------


def _short(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:30]}…'({len(value)} chars)"


def _describe(data: dict) -> str:
    values = {
        _short(v[0] if isinstance(v, list) and len(set(v)) == 1 else v) for v in data.values()
    }
    if len(data) > 3 and len(values) == 1:  # the broadside: one value everywhere
        return f"{{every field: {values.pop()}}}"
    return "{" + ", ".join(f"{k}: {_short(v)}" for k, v in data.items()) + "}"


def _where(error: BaseException) -> str:
    """The exception and the innermost frame of the project's own code."""
    frames = traceback.extract_tb(error.__traceback__)
    frame = ([f for f in frames if "/portal2fa/" in f.filename] or frames)[-1]
    path = frame.filename.split("/src/", 1)[-1]
    message = str(error).replace("\n", " ")[:160]
    return f"{type(error).__name__}: {message} at {path}:{frame.lineno} in {frame.name}()"


@dataclass
class Checker:
    failures: list[str] = field(default_factory=list)
    requests: int = 0

    def send(self, visitor: Visitor, method: str, url: str, data: dict, query: dict | None = None):
        """One request; a failure is recorded (not raised). Returns the response, None on a 500."""
        visitor.reset()
        data = {k: v for k, v in data.items() if v is not OMITTED}
        query = {k: v for k, v in (query or {}).items() if v is not OMITTED}
        what = f"{visitor.label} {method.upper()} {url}"
        if query:  # in the URL even for a POST: the sign-in reads ?next= on POST
            url = f"{url}?{urlencode(query, doseq=True)}"
            what += f" ?{_describe(query)}"
        if data:
            what += f" {_describe(data)}"
        self.requests += 1
        # A savepoint per request: a database error must not poison the requests after it (on
        # PostgreSQL the whole transaction would be aborted), so each 500 is reported on its own.
        savepoint = transaction.savepoint()
        problem, response = None, None
        try:
            response = getattr(visitor.client, method)(url, data)
            body = b"".join(response.streaming_content) if response.streaming else response.content
        except Exception as error:  # noqa: BLE001 - a streamed body raises here, not as a 500
            problem = f"exception while streaming the body: {_where(error)}"
        if response is not None and response.status_code >= 500:
            cause = _where(response.exc_info[1]) if response.exc_info else "no exception recorded"
            problem = f"{response.status_code}: {cause}"
        if problem:
            transaction.savepoint_rollback(savepoint)
            self.failures.append(f"{what} -> {problem}")
            return None
        transaction.savepoint_commit(savepoint)
        if response["Content-Type"].startswith("text/html") and XSS in body.decode(
            errors="replace"
        ):
            self.failures.append(f"{what} -> unescaped {XSS} in the page")
        return response

    def assert_clean(self) -> None:
        shown = self.failures[:60]
        more = len(self.failures) - len(shown)
        report = "\n".join(shown) + (f"\n... and {more} more" if more else "")
        assert not self.failures, (
            f"{len(self.failures)} of {self.requests} requests failed:\n{report}"
        )


# --- the URLs ------------------------------------------------------------------------------------


def _routes(patterns=None, prefix: str = "") -> list[str]:
    """Every route of the URLconf, includes flattened, e.g. 'setup/users/<int:pk>/'."""
    routes = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        assert isinstance(pattern.pattern, RoutePattern), f"not a path(): {pattern.pattern}"
        if isinstance(pattern, URLResolver):
            routes += _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            assert isinstance(pattern, URLPattern)
            routes.append(prefix + str(pattern.pattern))
    return routes


CONVERTER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def _fill(route: str, values) -> str:
    filler = iter(values)
    return CONVERTER.sub(lambda _: next(filler), route)


def _urls(world: World) -> list[str]:
    """Every route, its converters filled with values of existing objects and with junk."""
    objects = (world.victim, world.admin.user, world.victim_role, world.admin_role)
    values = {
        "int": sorted({str(o.pk) for o in objects}) + JUNK_INTS,
        "slug": list(exports.EXPORT_NAMES) + JUNK_SLUGS,
        "str": ["x", "bogus"],
    }
    urls = []
    for route in _routes():
        converters = [m["converter"] or "str" for m in CONVERTER.finditer(route)]
        unknown = set(converters) - set(values)
        assert not unknown, f"{route}: add values for the converters {unknown}"
        for fill in itertools.product(*(values[c] for c in converters)):
            urls.append("/" + _fill(route, fill))
    for url in urls:
        resolve(url)  # the filling matches its route
    return urls


def _every_value_at_once(names) -> dict:
    return {name: list(JUNK) for name in names}


# --- guards for the lists above ------------------------------------------------------------------


def test_every_route_is_enumerated(world):
    urls = _urls(world)
    named = {resolve(url).view_name for url in urls}
    for name in ("twofactor:setup-export", "accounts:setup-user-edit", "twofactor:audit-export"):
        assert name in named
    assert len(named) == len(_routes())  # every route, each with at least one URL


def test_form_field_lists_name_every_form_field():
    """A new form field needs junk too: add it to FORM_FIELDS (or QUERY_PARAMS)."""
    names = set()
    for module in (account_forms, audit_forms, twofactor_forms):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, django_forms.BaseForm):
                names.update(getattr(value, "base_fields", {}))
    missing = names - set(FORM_FIELDS) - set(QUERY_PARAMS)
    assert not missing, f"add these to FORM_FIELDS or QUERY_PARAMS: {sorted(missing)}"


# --- 1. the broadside ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "ordinary", "admin"])
def test_junk_query_params_on_every_url(world, who):
    visitor, checker = getattr(world, who), Checker()
    for url in _urls(world):
        for value in JUNK:
            checker.send(visitor, "get", url, {}, {name: value for name in QUERY_PARAMS})
        checker.send(visitor, "get", url, {}, _every_value_at_once(QUERY_PARAMS))
    checker.assert_clean()


@pytest.mark.parametrize("who", ["anonymous", "ordinary", "admin"])
def test_junk_form_fields_on_every_url(world, who):
    visitor, checker = getattr(world, who), Checker()
    for url in _urls(world):
        for value in JUNK:
            data = {name: value for name in FORM_FIELDS}
            data.update({name: [value, value] for name in MULTI_VALUE_FIELDS})
            checker.send(visitor, "post", url, data)
        checker.send(visitor, "post", url, _every_value_at_once(FORM_FIELDS))
    checker.assert_clean()


# --- 2. one field at a time ----------------------------------------------------------------------


@dataclass
class Case:
    """A request each view accepts as valid; `ok` is what it answers."""

    visitor: Visitor
    method: str
    url: str
    data: dict
    query: dict = field(default_factory=dict)
    ok: tuple[int, ...] = (200, 302)


def _valid_requests(world: World, pending: Visitor) -> list[Case]:
    admin, victim = world.admin, world.victim
    policy = TwoFactorSettings.objects.get(pk=1)
    roles = list(SecurityRole.objects.order_by("name"))
    settings_form = {
        "enabled": "on",
        "enrollment_required": "required",
        "max_invalid_attempts": str(policy.max_invalid_attempts),
        "clock_skew_steps": str(policy.clock_skew_steps),
        "backup_codes_per_set": str(policy.backup_codes_per_set),
        "low_codes_threshold": str(policy.low_codes_threshold),
        "issuer_name": "Portal",
        "enforcement": "unrecognized_devices",
        "trust_days": "30",
        "roles_always_second_factor": [str(r.pk) for r in roles if r.always_second_factor],
        "roles_always_second_factor_shown": "1",
        "roles_requiring_2fa": [str(r.pk) for r in roles if r.requires_2fa],
        "roles_shown": ",".join(str(r.pk) for r in roles),
        "deadlines_shown": "1",
        **{f"due_rule_{r.pk}": "within_days" for r in roles},
        **{f"grace_days_{r.pk}": "14" for r in roles},
    }
    audit_filters = {
        "user": "victim",
        "action": Action.ENROLLMENT_STARTED.value,
        "date_from": "2020-01-01",
        "date_to": (timezone.now() + timedelta(days=1)).date().isoformat(),
        "page": "1",
    }
    signin = reverse("twofactor:signin")
    return [
        Case(
            world.anonymous,
            "post",
            signin,
            {"email": world.ordinary.user.email, "password": PASSWORD},
            {"next": "/account/two-factor/"},
        ),
        Case(
            world.ordinary,
            "post",
            reverse("twofactor:account-regenerate"),
            {"code": current_code(world.secret)},
            ok=(200, 302, 303),  # 303: to the new codes page (show-once codes)
        ),
        Case(  # a wrong code: the password stays, so every variant reaches the form
            world.ordinary,
            "post",
            reverse("twofactor:account-password"),
            {
                "current_password": PASSWORD,
                "new_password1": "a new and rather long passphrase",
                "new_password2": "a new and rather long passphrase",
                "code": "000000",
            },
            ok=(400,),
        ),
        Case(  # a well-formed wrong code: the page stays on the form, so every variant reaches it
            pending, "post", reverse("twofactor:account-enroll"), {"code": "123456"}, ok=(400,)
        ),
        Case(pending, "post", reverse("twofactor:account-enroll"), {"start": "1"}),
        Case(admin, "post", reverse("twofactor:setup-settings"), settings_form),
        Case(
            admin,
            "post",
            reverse("twofactor:setup-user-extend", args=[victim.pk]),
            {"days": "7", "until": "", "reason": "on leave"},
            ok=(200, 302, 400),  # 400: the victim may need no due date (a clear refusal)
        ),
        Case(
            admin,
            "post",
            reverse("twofactor:setup-reset"),
            {"user": str(victim.pk), "reason": "lost phone", "confirmed": "on"},
        ),
        Case(admin, "post", reverse("twofactor:setup-reset"), {"user": str(victim.pk)}),
        Case(
            admin, "get", reverse("twofactor:setup-reset"), {}, {"q": "vic", "user": str(victim.pk)}
        ),
        Case(admin, "get", reverse("twofactor:setup-user-search"), {}, {"q": "vic"}),
        Case(
            admin,
            "get",
            reverse("twofactor:setup-overview"),
            {},
            {f"{w}_page": "1" for w in ("no_codes", "low_codes", "recent", "roles")},
        ),
        Case(admin, "get", reverse("accounts:setup-users"), {}, {"q": "vic", "page": "1"}),
        Case(admin, "get", reverse("accounts:setup-roles"), {}, {"q": "vic", "page": "1"}),
        Case(admin, "get", reverse("twofactor:audit-log"), {}, audit_filters),
        Case(admin, "get", reverse("twofactor:audit-export"), {}, audit_filters),
        Case(
            admin,
            "post",
            reverse("accounts:setup-user-new"),
            {
                "full_name": "New Person",
                "email": "new@example.com",
                "role": str(world.staff_role.pk),
                "is_active": "on",
                "password": "",
            },
        ),
        Case(
            admin,
            "post",
            reverse("accounts:setup-user-edit", args=[victim.pk]),
            {
                "full_name": victim.full_name,
                "email": victim.email,
                "role": str(world.victim_role.pk),
                "is_active": "on",
            },
        ),
        Case(  # the administrator's own page: the last-administrator checks
            admin,
            "post",
            reverse("accounts:setup-user-edit", args=[admin.user.pk]),
            {
                "full_name": admin.user.full_name,
                "email": admin.user.email,
                "role": str(world.admin_role.pk),
                "is_active": "on",
            },
        ),
        Case(
            admin, "post", reverse("accounts:setup-user-active", args=[victim.pk]), {"active": "1"}
        ),
        Case(
            admin,
            "post",
            reverse("accounts:setup-user-active", args=[admin.user.pk]),
            {"active": "1"},
        ),
        Case(
            admin,
            "post",
            reverse("accounts:setup-role-new"),
            {"name": "New Role", "type": "Employee", "requires_2fa": "on"},
        ),
        Case(
            admin,
            "post",
            reverse("accounts:setup-role-edit", args=[world.victim_role.pk]),
            {"name": world.victim_role.name, "type": "Partner"},
        ),
        Case(  # the built-in role: unchanged is fine, any rename or retype is refused
            admin,
            "post",
            reverse("accounts:setup-role-edit", args=[world.admin_role.pk]),
            {"name": world.admin_role.name, "type": world.admin_role.type},
        ),
    ]


def test_each_form_with_one_junk_field(world, make_user, enroll):
    pending = Visitor("pending", user=make_user("pending@example.com", name="Pat Pending"))
    pending.reset()
    pending.client.post(reverse("twofactor:account-enroll"), {"start": "1"})
    assert Authenticator.objects.filter(user=pending.user, confirmed_at=None).exists()
    reset_url = reverse("twofactor:setup-reset")

    checker = Checker()
    for case in _valid_requests(world, pending):
        response = checker.send(case.visitor, case.method, case.url, case.data, case.query)
        assert response is None or response.status_code in case.ok, f"not a valid request: {case}"
        for name in (*case.data, *case.query):
            for value in [*JUNK, *MORE_JUNK, OMITTED]:
                if case.url == reset_url and not Authenticator.objects.filter(user=world.victim):
                    enroll(world.victim)  # a reset must find something to reset
                data, query = dict(case.data), dict(case.query)
                into = data if name in case.data else query
                into[name] = value
                if name in MULTI_VALUE_FIELDS and value is not OMITTED:
                    into[name] = [*case.data[name], value]
                checker.send(case.visitor, case.method, case.url, data, query)
    checker.assert_clean()


# --- 3. half-way through a sign-in -----------------------------------------------------------------


SIGNIN_STEPS = (
    "twofactor:signin-verify",
    "twofactor:signin-verify-email",
    "twofactor:signin-verify-sms",
    "twofactor:signin-enroll",
    "twofactor:signin-skip",
)


@pytest.mark.parametrize("scenario", ["enrolled", "must-enroll", "may-enroll"])
def test_junk_half_way_through_signin(world, make_user, scenario):
    """A visitor that passed the password step (a live token in its session) sends junk.

    It signs in with a sane ?next= so that a failure here is about the junk it sends afterwards;
    a junk ?next= is test_signin_finishes_with_junk_next's.
    """
    TwoFactorSettings.objects.filter(pk=1).update(
        max_invalid_attempts=10,
        enrollment_required=scenario != "may-enroll",
        email_codes_allowed=True,
        sms_codes_allowed=True,
    )
    if scenario == "enrolled":
        user = world.ordinary.user
    else:
        user = _signs_in(make_user(f"{scenario}@example.com", role=world.staff_role))
    visitor, checker = Visitor(scenario), Checker()
    signins = itertools.count()

    def live_token() -> None:
        """Sign in again unless the token is live and not locked."""
        challenge = challenge_load(visitor.client.session.get(TOKEN_KEY), at=timezone.now())
        if challenge is not None and not challenge.locked:
            return
        visitor.client.logout()
        next(signins)
        response = checker.send(
            visitor,
            "post",
            reverse("twofactor:signin"),
            {"email": user.email, "password": PASSWORD},
            {"next": "/account/two-factor/"},
        )
        assert response is not None and response.status_code == 302, "the password step"
        assert visitor.client.session.get(TOKEN_KEY), "no token after the password step"

    for value in [*JUNK, *MORE_JUNK]:
        for name in SIGNIN_STEPS:
            url = reverse(name)
            live_token()
            checker.send(visitor, "get", url, {}, {n: value for n in QUERY_PARAMS})
            live_token()
            checker.send(visitor, "post", url, {"code": value})
            live_token()
            data = {n: value for n in FORM_FIELDS}
            data.update({n: [value, value] for n in MULTI_VALUE_FIELDS})
            checker.send(visitor, "post", url, data)
    for name in SIGNIN_STEPS:
        live_token()
        checker.send(visitor, "post", reverse(name), _every_value_at_once(FORM_FIELDS))
    assert next(signins) > 1, "the token never needed renewing: the junk reached no check"
    checker.assert_clean()


FINISHES = ["password only", "code", "enrollment", "skip"]


@pytest.mark.parametrize("finish", FINISHES)
def test_signin_finishes_with_junk_next(world, make_user, enroll, finish):
    """The ?next= of the password step is followed when the sign-in finishes, by whichever step
    finishes it: junk there must not break the last step."""
    TwoFactorSettings.objects.filter(pk=1).update(enrollment_required=finish != "skip")
    role = world.victim_role if finish == "password only" else world.staff_role  # 2FA or not
    signin, verify = reverse("twofactor:signin"), reverse("twofactor:signin-verify")
    enroll_url, skip = reverse("twofactor:signin-enroll"), reverse("twofactor:signin-skip")
    checker = Checker()
    for n, next_url in enumerate([*JUNK, *MORE_JUNK]):
        user = _signs_in(make_user(f"finish{n}@example.com", role=role))
        backup_codes = enroll(user).backup_codes if finish == "code" else ()
        visitor = Visitor(f"{finish} (signed in with ?next={_short(next_url)})")
        credentials = {"email": user.email, "password": PASSWORD}
        response = checker.send(visitor, "post", signin, credentials, {"next": next_url})
        if response is not None and finish == "code":
            response = checker.send(visitor, "post", verify, {"code": backup_codes[0]})
        elif response is not None and finish == "enrollment":
            checker.send(visitor, "get", enroll_url, {})  # shows (and creates) the secret
            secret = keys.decrypt_secret(Authenticator.objects.get(user=user).encrypted_secret)
            response = checker.send(visitor, "post", enroll_url, {"code": current_code(secret)})
        elif response is not None and finish == "skip":
            response = checker.send(visitor, "post", skip, {})
        if response is not None:  # no 500: then the sign-in must have finished
            assert _signed_in_as(visitor.client) == str(user.pk), (
                f"{visitor.label}: not signed in ({response.status_code})"
            )
    checker.assert_clean()
