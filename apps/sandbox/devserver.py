"""Keep the sandbox fast under Django's development server (runserver, pytest-django's live_server).

That server writes a response's status line, headers and body in separate small writes. On a
kept-alive connection Nagle's algorithm then holds the later writes until the client's delayed
ACK, about 40 ms a request: a 1,000-server sync would take 40 s instead of 4. The sandbox turns
Nagle off on the connection (TCP_NODELAY), or, when it cannot reach the socket, answers without
a length so that the server closes the connection after the response, which sends it at once.
Other servers (gunicorn, the test client) get the plain response.
"""

from __future__ import annotations

import os
import socket

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

DEV_SERVER_SOFTWARE = "WSGIServer/"


def is_dev_server(request: HttpRequest) -> bool:
    return request.META.get("SERVER_SOFTWARE", "").startswith(DEV_SERVER_SOFTWARE)


def disable_nagle(request: HttpRequest) -> bool:
    """Set TCP_NODELAY on the request's connection; False when the socket is out of reach.

    The development server's wsgi.input wraps the connection's reader; its file descriptor is
    duplicated, so closing our socket object leaves the connection open.
    """
    reader = getattr(getattr(request.META.get("wsgi.input"), "_read", None), "__self__", None)
    fileno = getattr(reader, "fileno", None)
    if not callable(fileno):
        return False
    try:
        with socket.socket(fileno=os.dup(fileno())) as connection:
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, ValueError):
        return False
    return True


def fit_for_server(request: HttpRequest, response: HttpResponse) -> HttpResponseBase:
    if not is_dev_server(request) or disable_nagle(request):
        return response
    streamed = StreamingHttpResponse([response.content], status=response.status_code)
    for header, value in response.items():
        streamed[header] = value
    return streamed
