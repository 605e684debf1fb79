"""The client's address, the same for every part that needs it: the login and SMS-code
throttles (``accounts.throttle``), the personal-information access log (``core.access_log``)
and the read replica's pin of cookieless clients (``core.replica``).

Behind a load balancer the connection comes from the load balancer; ``XIAOQU_CLIENT_IP_HEADER``
names the header it puts the client's address in (docs/security.md).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest | None) -> str:
    """The client's address: ``REMOTE_ADDR``, or the header the load balancer sets
    (``XIAOQU_CLIENT_IP_HEADER``; of a list such as X-Forwarded-For, the last entry, the one
    the load balancer itself added). Empty without a request."""
    if request is None:
        return ""
    header = getattr(settings, "XIAOQU_CLIENT_IP_HEADER", "")
    if header:
        value = request.headers.get(header, "")
        if value:
            return value.split(",")[-1].strip()[:64]
    return str(request.META.get("REMOTE_ADDR", ""))[:64]
