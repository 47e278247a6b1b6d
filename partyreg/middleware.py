from django.conf import settings
from django.utils import translation


class SiteLanguageMiddleware:
    """Every page in the site's language (Vietnamese), whatever the browser asks for.

    Committee staff often use browsers set to English; Django's LocaleMiddleware would then
    show them an English site nobody maintains for them.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with translation.override(settings.LANGUAGE_CODE):
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE
            response = self.get_response(request)
            response.headers.setdefault("Content-Language", settings.LANGUAGE_CODE)
            return response
