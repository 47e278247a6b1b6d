from django.conf import settings


def site(request):
    return {
        "SITE_NAME": "partyreg",
        "PARTYREG_DEBUG": settings.DEBUG,
        # Pages link to a document's signatures only while the site signs (PARTYREG_SIGNING).
        "SIGNING_ENABLED": settings.PARTYREG_SIGNING["ENABLED"],
    }
