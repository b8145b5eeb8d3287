from django.conf import settings


def portal(request):
    return {"site_name": settings.PORTAL2FA_SITE_NAME}
