from django.conf import settings


def site(request):
    return {"SITE_NAME": "partyreg", "PARTYREG_DEBUG": settings.DEBUG}
