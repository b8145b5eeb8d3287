"""Temporary Access Passes: entered at the second-factor step, issued and revoked by administrators
(services/access_passes.py). Thin: parse, call one service, render or redirect."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DataError
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from ..adapter import get_adapter
from ..machinery.policy import NextStep
from ..machinery.session_generation import session_generation
from ..messages import PASS_ACCEPTED, PASS_LABEL, PASS_MISSING
from ..selectors.access_passes import pass_needed
from ..services.access_passes import (
    ALREADY_ACCEPTED,
    AccessPassError,
    access_pass_attempt,
    access_pass_issue,
    access_pass_revoke,
)
from ..web import second_factor, shown_pass
from ..web.decorators import administrator_required
from ..web.http import client_address, see_other
from .signin_step import ANY_STEP, SignInStep, signin_step


class AccessPassForm(forms.Form):
    access_pass = forms.CharField(
        label=PASS_LABEL,
        max_length=64,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autofocus": True,
                "spellcheck": "false",
                "autocapitalize": "characters",
            }
        ),
        error_messages={"required": PASS_MISSING},
    )


# --- the second-factor step --------------------------------------------------------------------


@never_cache
@sensitive_post_parameters("access_pass")
@require_http_methods(["GET", "POST"])
@signin_step(ANY_STEP)
def signin_pass(request, step: SignInStep):
    """The pass instead of a code (verify step), or before enrolling again (enroll step)."""
    if step.challenge.access_pass_at is not None:  # accepted already (a second click): go on
        return see_other(reverse("twofactor:signin-enroll"))
    form = AccessPassForm(request.POST if request.method == "POST" else None)
    status, locked = 200, step.challenge.locked
    if request.method == "POST":
        status = 403 if locked else 400
        if not locked and form.is_valid():
            attempt = access_pass_attempt(
                token=step.token,
                code=form.cleaned_data["access_pass"],
                at=timezone.now(),
                client_address=client_address(request),
                challenge=step.challenge,
            )
            if attempt.message == ALREADY_ACCEPTED:  # a parallel twin of this request won
                return see_other(reverse("twofactor:signin-enroll"))
            if attempt.ok:
                # This sign-in outlives the reset its pass made (held or on the own page).
                second_factor.keep_signin_generation(request, session_generation(step.user.pk))
                messages.success(request, PASS_ACCEPTED)
                return see_other(reverse("twofactor:signin-enroll"))
            form.add_error("access_pass", attempt.message)
            locked = attempt.locked
    context = {
        "form": form,
        "locked": locked,
        "needed": pass_needed(step.challenge, step.policy),
        "can_skip": step.step is NextStep.ENROLL_OPTIONAL,
        "at_verify": step.step is NextStep.VERIFY,
    }
    return render(request, "portal2fa/signin_pass.html", context, status=status)


# --- administrators --------------------------------------------------------------------------


def _user_of(value):
    text = str(value or "")
    if not text or len(text) > 64 or not (text.isascii() and text.isprintable()):
        return None
    try:
        pk = get_user_model()._meta.pk.to_python(text)
        return get_adapter().users().filter(pk=pk).first()
    except (ValidationError, ValueError, TypeError, OverflowError, DataError):
        return None


def _back(request, user):
    """To the page the form was on: the user's 2FA view, or the Reset tab with the user selected."""
    if user is not None and request.POST.get("pass_next") == "user":
        return see_other(reverse("twofactor:setup-user", args=[user.pk]))
    query = f"?user={user.pk}" if user is not None else ""
    return see_other(reverse("twofactor:setup-reset") + query)


@administrator_required
@require_POST
def issue(request):
    user = _user_of(request.POST.get("user"))
    if user is None:
        messages.error(request, gettext("Select a user first."))
        return _back(request, None)
    issue_and_keep(request, user, request_id=request.POST.get("request_id", "")[:64])
    return _back(request, user)


def issue_and_keep(request, user, *, request_id: str = "") -> None:
    """Issue a pass and keep it in this session to be shown (web/shown_pass.py), with a message."""
    try:
        issued = access_pass_issue(
            actor=request.user,
            user=user,
            at=timezone.now(),
            client_address=client_address(request),
            request_id=request_id,
        )
    except AccessPassError as error:
        messages.error(request, str(error))
        return
    if issued is None:  # the same form again (a double click): the first request keeps and
        # shows its pass; this request's copy of the session, read before that one saved the
        # pass, must not be saved over it (so no message either: messages live in the session)
        request.session.modified = False
        return
    shown_pass.keep(request, user.pk, issued.code)
    name = get_adapter().display_name(user)
    messages.success(
        request, gettext("A Temporary Access Pass was issued for %(name)s.") % {"name": name}
    )


@administrator_required
@require_POST
def revoke(request):
    user = _user_of(request.POST.get("user"))
    if user is None:
        messages.error(request, gettext("Select a user first."))
        return _back(request, None)
    try:
        access_pass_revoke(
            actor=request.user, user=user, at=timezone.now(), client_address=client_address(request)
        )
    except AccessPassError as error:
        messages.info(request, str(error))
    else:
        shown_pass.discard(request, user.pk)
        name = get_adapter().display_name(user)
        messages.success(
            request, gettext("The Temporary Access Pass of %(name)s was revoked.") % {"name": name}
        )
    return _back(request, user)


@administrator_required
@require_POST
def done(request):
    """The administrator has given the pass to the user: it is no longer shown."""
    user = _user_of(request.POST.get("user"))
    if user is not None:
        shown_pass.discard(request, user.pk)
    return _back(request, user)
