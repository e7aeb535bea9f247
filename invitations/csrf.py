"""CSRF for the customer's pages, which send no referrer.

The pages carry ``Referrer-Policy: no-referrer`` (the link's token is in their URL), and under that
policy a browser sends ``Origin: null`` with the page's own form posts (the Fetch standard), which
Django's CSRF check takes for a foreign origin. Here such a post passes the origin check when the
browser's fetch metadata says it came from this site (``Sec-Fetch-Site: same-origin``), or when the
browser sends none (older ones); a post from a sandboxed frame elsewhere also says ``null`` but
``cross-site``, and is refused. Every other check is Django's, the CSRF token first of all. (A
forged post would also need the link's token in its URL, which only the customer has.)
"""

from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import decorator_from_middleware
from django.views.decorators.csrf import csrf_exempt


class LinkCsrfViewMiddleware(CsrfViewMiddleware):
    def _origin_verified(self, request):
        if request.META["HTTP_ORIGIN"] == "null":
            return request.META.get("HTTP_SEC_FETCH_SITE", "same-origin") == "same-origin"
        return super()._origin_verified(request)


def link_csrf_protect(view):
    """``view`` checked by the rule above instead of the project's CSRF middleware."""
    return csrf_exempt(decorator_from_middleware(LinkCsrfViewMiddleware)(view))
