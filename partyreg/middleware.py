from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_cache_control


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


class PrivateCacheMiddleware:
    """No answer to a signed-in user is kept by a browser's or a proxy's cache.

    Pages, PDFs and spreadsheets carry member records (political affiliation: sensitive
    personal data); on a shared office computer a cached copy outlives the session. Static
    files are served before this middleware (whitenoise) and keep their own headers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response
