"""Times the second-factor verification requests for the portal2fa_verify_duration_seconds
histogram (services/metrics.py). Add after TwoFactorMiddleware."""

import time

from .services.metrics import observe_verify_duration

VERIFY_VIEWS = {
    "twofactor:signin-verify",
    "twofactor:signin-verify-email",
    "twofactor:signin-verify-sms",
    "twofactor:signin-passkey",
}


class VerifyTimingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if request.method == "POST" and match is not None and match.view_name in VERIFY_VIEWS:
            observe_verify_duration(time.perf_counter() - started)
        return response
