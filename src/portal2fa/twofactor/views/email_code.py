"""The verify step's "Try another way": an email or SMS code (services/email_codes.py). Thin."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from ..conf import setting
from ..core import methods
from ..forms import CodeForm
from ..machinery.policy import NextStep
from ..messages import EMAIL_CODE_LABEL, SMS_CODE_LABEL, code_sent
from ..selectors.email_codes import codes_available, destination, mask, not_available, status
from ..services.email_codes import email_code_attempt, email_code_send
from ..web import second_factor, trusted
from ..web.http import client_address, see_other
from .signin_step import SignInStep, signin_step


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
@signin_step(NextStep.VERIFY)
def verify_email(request, step: SignInStep):
    return _code_page(request, step, methods.EMAIL)


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
@signin_step(NextStep.VERIFY)
def verify_sms(request, step: SignInStep):
    return _code_page(request, step, methods.SMS)


def _code_page(request, step: SignInStep, channel: str):
    challenge, policy = step.challenge, step.policy
    if not codes_available(challenge.user, policy, channel):
        messages.error(request, not_available(channel))
        return redirect("twofactor:signin-verify")
    sms = channel == methods.SMS
    now, status_code = timezone.now(), 200
    form = CodeForm(request.POST if "code" in request.POST else None)
    form.fields["code"].label = SMS_CODE_LABEL if sms else EMAIL_CODE_LABEL
    form.fields["code"].widget.attrs.update({"inputmode": "numeric"})
    if request.method == "POST" and "send" in request.POST:
        sent = email_code_send(
            challenge=challenge, at=now, client_address=client_address(request), channel=channel
        )
        if sent.ok:
            minutes = setting("PORTAL2FA_EMAIL_CODE_MINUTES")
            messages.success(request, code_sent(sent.address, minutes))
        else:
            messages.error(request, sent.message)
        return see_other(request.path)
    locked = challenge.locked
    if request.method == "POST" and not locked:
        status_code = 400
        if form.is_valid():
            attempt = email_code_attempt(
                token=step.token,
                code=form.cleaned_data["code"],
                at=now,
                client_address=client_address(request),
                challenge=challenge,
                policy=policy,
                channel=channel,
            )
            if attempt.ok:
                second_factor.complete(request, challenge.user)
                response = HttpResponseRedirect(second_factor.take_next(request))
                trusted.grant_if_asked(
                    request, response, challenge.user, policy=policy, factor=channel
                )
                return response
            form.add_error("code", attempt.message)
            locked = attempt.locked
    elif request.method == "POST":
        status_code = 403
    code = status(challenge)
    context = {
        "form": form,
        "locked": locked,
        "sent": code is not None and code.channel == channel,
        "address": mask(destination(challenge.user, channel)),
        "sms": sms,
        "valid_minutes": setting("PORTAL2FA_EMAIL_CODE_MINUTES"),
        **trusted.offer(request, challenge.user, policy),
    }
    return render(request, "portal2fa/signin_verify_email.html", context, status=status_code)
