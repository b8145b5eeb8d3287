"""What users are told about codes, sign-ins, enrollment and their keys, written once and
translatable (the seed's texts among them: keep those exactly in English). Services return these;
views show them.

Constants are `Text`s: English strings (what comparisons, `in` and `startswith` see, so code and
tests can match a refusal by its constant) that show translated, in the language active where
they are shown: str(), f-strings, `+`, templates, the messages framework and form errors all go
through str(). `" ".join()` and json.dumps do not: join str() of them, send str() in JSON. Texts
with a number or a name are functions that translate when called (in the request, or under
translation.override for an e-mail's recipient). Modules that had their own constants keep their
names, bound to the ones here.
"""

from django.utils.translation import gettext, ngettext, pgettext

from .core.text import Refusal


class Text(str):
    """An English message that shows in the active language (see the module's docstring)."""

    def __str__(self) -> str:
        return gettext(str.__str__(self))

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __add__(self, other: str) -> str:
        return str(self) + other

    def __radd__(self, other: str) -> str:
        return other + str(self)


def _(message: str) -> Text:
    """Marks `message` for the catalogue (xgettext reads `_(...)`) and makes it a Text."""
    return Text(message)


# The sign-in's second factor (services/attempt.py, challenge.py)
EXPIRED = _("This sign-in has expired.")
LOCKED = _("Too many invalid attempts. Start a new sign-in.")
USED = _("This code was already used.")
INVALID = _("Invalid code.")
TOTP_EXPECTED = _("Enter the 6-digit code from your authenticator app.")
NOT_ENROLLED = _("Set up your authenticator app first.")
NO_PENDING_ENROLLMENT = _("There is no pending enrollment to confirm.")
SKIP_REFUSED = _("Enrollment cannot be skipped.")
SNOOZE_REFUSED = _("You can no longer postpone: set up two-factor authentication now.")
CHECK_CLOCK = _("Check your device's clock and try again.")
SIGNED_IN_WITH_BACKUP_CODE = _("You signed in with a backup code. It cannot be used again.")
SIGNED_OUT = _("You have signed out.")
PASSWORD_FIRST = _("Sign in with your email and password first.")
SIGNIN_SETTINGS_CHANGED = _("Your sign-in settings changed. Please sign in again.")
SECOND_FACTOR_FIRST = _("Complete the second factor first.")
SESSION_ENDED = _(
    "You were signed out because of a security change to your account. Sign in again."
)
# The enrollment pages' QR code (selectors/enrollment.py): its title is what a screen reader says
QR_CODE_TITLE = _("QR code for your authenticator app")

# The password step (services/password.py) and the password change (services/password_change.py)
INVALID_CREDENTIALS = _("The email or password is incorrect.")
THROTTLED = _("Too many failed sign-in attempts. Wait a few minutes and try again.")
CURRENT_PASSWORD_WRONG = _("Your current password is incorrect.")
TOO_MANY_CURRENT_PASSWORDS = _("Too many wrong current passwords. Try again later.")
PASSWORD_CHANGED = _("Your password was changed. Your other sessions were signed out.")
PASSWORDS_DIFFER = _("The two new passwords do not match.")

# Code fields (forms.py, views/email_code.py)
ENTER_A_CODE = _("Enter a code.")
NOT_A_VALID_CODE = _("That is not a valid code.")
EMAIL_CODE_LABEL = _("Email code")
BACKUP_CODE_LABEL = _("Backup code")
SMS_CODE_LABEL = _("SMS code")

# The account's code budget across sign-ins (machinery/code_budget.py)
CODE_LOCKED = _(
    "Two-factor authentication for this account is locked after too many invalid codes. "
    "Contact your administrator."
)

# E-mail and SMS codes (services/email_codes.py)
EMAIL_NOT_AVAILABLE = _(
    "Email codes are not available for your account. Use your authenticator app."
)
SMS_NOT_AVAILABLE = _("SMS codes are not available for your account. Use your authenticator app.")
EMAIL_CODE_EXPIRED = _("This email code has expired. Send a new code.")
EMAIL_SEND_FAILED = _(
    "The email could not be sent. Try again later, or use your authenticator app."
)
NO_MORE_SENDS = _("No more codes can be sent for this sign-in. Use the last code, or start over.")

# Passkeys and security keys (passkeys/services.py, enrollment.py, views.py)
PASSKEY_NOT_ACCEPTED = _("The passkey or security key was not accepted.")
PASSKEY_CLONED = _(
    "This passkey or security key was refused: it may have been copied. Use another way."
)
NO_PASSKEYS = _("You have no passkeys or security keys.")
LAST_KEY = _(
    "This is your only passkey or security key and you have no authenticator app: "
    "add another key or set up an authenticator app before removing it."
)
PASSKEYS_NOT_ALLOWED = _("Passkeys and security keys are not allowed for your account.")
PASSKEY_NAME_MISSING = _("Give the key a name, for example “Work laptop”.")
PASSKEY_NOT_VERIFIED = _("The new key could not be verified. Try again.")
PASSKEY_ALREADY_REGISTERED = _("This key is already registered.")
PASSKEY_NOT_YOURS = _("That key is not registered to your account.")
KEY_ANSWER_TOO_LARGE = _("The key's answer is too large to be a passkey's. Try again.")
KEY_ADDING_TOO_LONG = _("Adding the key took too long. Start again.")
KEY_ANSWER_UNREADABLE = _("The key's answer could not be read. Try again.")
CONFIRMING_TOO_LONG = _("Confirming took too long. Start again.")
ALREADY_ENROLLED = _("You have already set up two-factor authentication. Sign in again.")
SET_UP_ALREADY = _("You have already set up two-factor authentication.")

# Confirming it's you, the authenticator app, backup codes (passkeys/step_up.py, services/app_setup.py,
# services/backup_codes.py)
CONFIRMATION_USED_OR_EXPIRED = _("That confirmation was used or has expired. Confirm again.")
APP_ALREADY_SET_UP = _("Your authenticator app is already set up.")
APP_SETUP_EXPIRED = _("Setting up the app took too long. Start again.")
APP_ADDED = _("Your authenticator app is set up. You can sign in with a code from it too.")
NO_APP_FOR_CODE = _(
    "You have no authenticator app to take a code from: confirm with your passkey instead."
)
NO_CODES_TO_SHOW = _(
    "There are no new backup codes to show: they are shown until you confirm you saved "
    "them, for at most 15 minutes. You can generate a new set here."
)

# Trusted browsers (views/trusted.py)
BROWSER_UNTRUSTED = _("The browser is no longer trusted.")
BROWSER_NOT_IN_LIST = _("That browser is not in your list of trusted browsers.")
NO_BROWSER_TRUSTED_NOW = _("No browser is trusted any more.")
HAD_NO_TRUSTED_BROWSERS = _("You had no trusted browsers.")
SIGNED_OUT_EVERYWHERE = _("You have signed out everywhere. No browser is trusted any more.")

# Temporary Access Passes at sign-in (services/access_passes.py, views/access_pass.py)
PASS_INVALID = _("Invalid Temporary Access Pass.")
PASS_USED = _("This Temporary Access Pass was already used. Ask your administrator for a new one.")
PASS_EXPIRED = _("This Temporary Access Pass has expired. Ask your administrator for a new one.")
PASS_ENDED = _("This Temporary Access Pass was revoked. Ask your administrator for a new one.")
PASS_ALREADY_ACCEPTED = _(
    "Your Temporary Access Pass was accepted. Set up two-factor authentication."
)
PASS_ACCEPTED = _("Your pass was accepted. Set up two-factor authentication now.")
PASS_MISSING = _("Enter the Temporary Access Pass.")
PASS_LABEL = _("Temporary Access Pass")


def attempts_remaining(remaining: int) -> str:
    """The sentence after a refusal's own ("Invalid code.", "The passkey ... was not accepted.")."""
    return ngettext("%(count)s attempt remaining.", "%(count)s attempts remaining.", remaining) % {
        "count": remaining
    }


def code_budget_delay(when: str, minutes: int) -> str:
    """`when`: the local time of the next try ("14:05 UTC")."""
    return ngettext(
        "Too many invalid codes for this account. Try again after %(when)s (in %(minutes)s "
        "minute).",
        "Too many invalid codes for this account. Try again after %(when)s (in %(minutes)s "
        "minutes).",
        minutes,
    ) % {"when": when, "minutes": minutes}


def clock_skew(minutes: int, ahead: bool) -> str:
    if ahead:
        text = ngettext(
            "Your phone's clock seems to be about %(minutes)s minute ahead — turn on automatic "
            "date and time.",
            "Your phone's clock seems to be about %(minutes)s minutes ahead — turn on automatic "
            "date and time.",
            minutes,
        )
    else:
        text = ngettext(
            "Your phone's clock seems to be about %(minutes)s minute behind — turn on automatic "
            "date and time.",
            "Your phone's clock seems to be about %(minutes)s minutes behind — turn on automatic "
            "date and time.",
            minutes,
        )
    return text % {"minutes": minutes}


def wait_before_resend(seconds: int) -> str:
    # Translators: English says "1 seconds"/"1 minutes" as before; use your plural forms
    return ngettext(
        "Wait %(seconds)s seconds before sending another code.",
        "Wait %(seconds)s seconds before sending another code.",
        seconds,
    ) % {"seconds": seconds}


def too_many_sends(window: str) -> str:
    """Refused across sign-ins: `window` is "hour" or "day" (machinery/send_limits.py)."""
    if window == "hour":
        return gettext(
            "Too many codes were sent in the last hour. Use your authenticator app, a passkey or "
            "a backup code, or try again later."
        )
    return gettext(
        "Too many codes were sent today. Use your authenticator app, a passkey or a backup "
        "code, or try again later."
    )


def email_code_subject(site: str) -> str:
    return gettext("Your %(site)s sign-in code") % {"site": site}


def email_code_body(code: str, minutes: int) -> str:
    # Translators: English says "1 seconds"/"1 minutes" as before; use your plural forms
    valid = ngettext(
        "Your sign-in code is %(code)s. It is valid for %(minutes)s minutes and works once.",
        "Your sign-in code is %(code)s. It is valid for %(minutes)s minutes and works once.",
        minutes,
    ) % {"code": code, "minutes": minutes}
    warning = gettext("If you did not try to sign in, change your password: someone knows it.")
    return f"{valid}\n\n{warning}\n"


def sms_code(code: str, site: str, minutes: int) -> str:
    # Translators: English says "1 seconds"/"1 minutes" as before; use your plural forms
    return ngettext(
        "%(code)s is your %(site)s sign-in code. Valid %(minutes)s minutes.",
        "%(code)s is your %(site)s sign-in code. Valid %(minutes)s minutes.",
        minutes,
    ) % {"code": code, "site": site, "minutes": minutes}


def code_sent(address: str, minutes: int) -> str:
    # Translators: English says "1 seconds"/"1 minutes" as before; use your plural forms
    return ngettext(
        "We sent a code to %(address)s. It is valid for %(minutes)s minutes.",
        "We sent a code to %(address)s. It is valid for %(minutes)s minutes.",
        minutes,
    ) % {"address": address, "minutes": minutes}


def number_ending(digits: str) -> str:
    """Where an SMS code went, for the page: the phone number's last two digits."""
    return gettext("the number ending %(digits)s") % {"digits": digits}


def passkey_name_too_long(limit: int) -> str:
    return ngettext(
        "The name must be printable text of at most %(limit)s character.",
        "The name must be printable text of at most %(limit)s characters.",
        limit,
    ) % {"limit": limit}


def passkey_added(name: str) -> str:
    return gettext("The key “%(name)s” was added.") % {"name": name}


def passkey_renamed(old: str, new: str) -> str:
    return gettext("The key “%(old)s” is now called “%(new)s”.") % {"old": old, "new": new}


def passkey_removed(name: str) -> str:
    return gettext("The key “%(name)s” was removed.") % {"name": name}


def passkey_confirmed(minutes: int) -> str:
    return ngettext(
        "You confirmed with your passkey. For the next %(minutes)s minute you can generate new "
        "backup codes, add a key, set up an authenticator app or change your password once "
        "without entering a code.",
        "You confirmed with your passkey. For the next %(minutes)s minutes you can generate new "
        "backup codes, add a key, set up an authenticator app or change your password once "
        "without entering a code.",
        minutes,
    ) % {"minutes": minutes}


def passkeys_switched_off(key_only_users: int) -> str:
    """After passkeys were switched off while some users have nothing else (Settings tab, CLI)."""
    return ngettext(
        "%(count)s user enrolled with a passkey alone can no longer use it: they sign in with a "
        "backup code, which lets them set up an authenticator app.",
        "%(count)s users enrolled with a passkey alone can no longer use it: they sign in with a "
        "backup code, which lets them set up an authenticator app.",
        key_only_users,
    ) % {"count": key_only_users}


def passkeys_not_counted_for_roles(key_only_users: int, roles: list[str]) -> str:
    """After roles stopped counting passkeys while some of their users have nothing else ("may":
    a user whose other role requires 2FA and allows keys keeps them, methods.combine)."""
    return ngettext(
        "%(count)s user enrolled with a passkey alone in %(roles)s may no longer use it: they "
        "sign in with a backup code, which lets them set up an authenticator app.",
        "%(count)s users enrolled with a passkey alone in %(roles)s may no longer use it: they "
        "sign in with a backup code, which lets them set up an authenticator app.",
        key_only_users,
    ) % {"count": key_only_users, "roles": pgettext("list separator", ", ").join(roles)}


def greeting(name: str) -> str:
    """The first line of every e-mail to a user."""
    return gettext("Hello %(name)s,") % {"name": name}


def reminder_subject(date: str | None) -> str:
    """The enrollment reminder's subject; `date`: the due day, formatted (None: no due date)."""
    if date is None:
        return gettext("Set up two-factor authentication")
    return gettext("Set up two-factor authentication by %(date)s") % {"date": date}


def reminder_body(*, name: str, site: str, date: str | None, days: int, link: str) -> str:
    """The enrollment reminder: `days` from today to the due day (negative: past)."""
    values = {"site": site, "date": date, "count": abs(days)}
    if date is None:
        due = gettext("Your %(site)s account must be protected by two-factor authentication.")
    elif days == 0:
        due = gettext(
            "Your %(site)s account must be protected by two-factor authentication by %(date)s "
            "(today)."
        )
    elif days > 0:
        due = ngettext(
            "Your %(site)s account must be protected by two-factor authentication by %(date)s "
            "(in %(count)s day).",
            "Your %(site)s account must be protected by two-factor authentication by %(date)s "
            "(in %(count)s days).",
            days,
        )
    else:
        due = ngettext(
            "Your %(site)s account must be protected by two-factor authentication by %(date)s "
            "(%(count)s day ago).",
            "Your %(site)s account must be protected by two-factor authentication by %(date)s "
            "(%(count)s days ago).",
            -days,
        )
    after = gettext(
        "After that date you will have to set it up before you can continue signing in."
    )
    sign_in = gettext("Sign in and set it up now (it takes two minutes):")
    unexpected = gettext("If you did not expect this message, contact your administrator.")
    return f"{greeting(name)}\n\n{due % values} {after}\n\n{sign_in}\n{link}\n\n{unexpected}\n"


# The personal page's summary, "You sign in with: passkey ×1 · authenticator app · 9 backup codes"
# (selectors/enrollment.sign_in_summary): each item a name of its own, joined by " · ".
PASSWORD_ALONE = _("your password alone")
PASSWORD_ONLY = _("your password")
AUTHENTICATOR_APP = _("authenticator app")


def summary_passkeys(count: int) -> str:
    return gettext("passkey ×%(count)s") % {"count": count}


def summary_backup_codes(count: int) -> str:
    return ngettext("%(count)s backup code", "%(count)s backup codes", count) % {"count": count}


def summary_trusted_browsers(count: int) -> str:
    return ngettext("%(count)s trusted browser", "%(count)s trusted browsers", count) % {
        "count": count
    }


def translated(refusal: Refusal) -> str:
    """A pure-core Refusal (core/text.py) in the reader's language."""
    text = gettext(refusal.template)
    return text % refusal.params if refusal.params else text
