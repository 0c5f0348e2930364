from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.access import selectors, services
from apps.access.api.serializers import (
    LoginInputSerializer,
    LoginOutputSerializer,
    TokenCreatedOutputSerializer,
    TokenCreateInputSerializer,
    TokenOutputSerializer,
)
from apps.access.models import ApiToken
from apps.access.permissions import AUTHENTICATED
from apps.access.throttles import LoginIpThrottle, LoginUsernameThrottle, login_throttles_refusing
from apps.core.api.query import QueryParameterCheck

# One message for a wrong username and a wrong password: it must not tell which one was wrong.
INVALID_CREDENTIALS = "Unable to log in with the given username and password."


class TokenObtainApi(APIView):
    """Exchange a username and password for a short-lived API token: `{"token": ..., "expiry": ...}`.

    Failed attempts are limited per client IP and per username (LOGIN_THROTTLE_RATE); past
    the limit the answer is 429 with Retry-After. For scripts, prefer a personal token
    (POST /api/auth/tokens/) over storing a password.
    """

    # Open to anonymous callers: this is where they get credentials. No authentication
    # classes either, so a browser session cannot turn it into a CSRF target.
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginIpThrottle, LoginUsernameThrottle]
    # JSON only: the browsable API's form would echo the credentials back.
    renderer_classes = [JSONRenderer]

    @extend_schema(request=LoginInputSerializer, responses=LoginOutputSerializer, auth=[])
    def post(self, request: Request) -> Response:
        data = LoginInputSerializer(data=request.data)
        user = None
        if data.is_valid():
            user = authenticate(
                request._request,
                username=data.validated_data["username"],
                password=data.validated_data["password"],
            )
        if user is None:  # wrong credentials, or an inactive user (the backend refuses those)
            data.is_valid(raise_exception=True)
            raise serializers.ValidationError({"non_field_errors": [INVALID_CREDENTIALS]}, code="authorization")
        for throttle in self._throttles:
            throttle.release()  # a right password does not use up the failed-login budget
        # Signed in from here on: the audit trail names this user as the one the token went to.
        request.user = user
        token, value = services.login_token_issue(user=user)
        return Response(LoginOutputSerializer({"token": value, "expiry": token.expiry}).data)

    def check_throttles(self, request: Request) -> None:
        # Keep the instances that reserved this attempt: post() gives it back on success.
        self._throttles = self.get_throttles()
        refusing = login_throttles_refusing(request, self._throttles)
        if refusing:
            self.throttled(request, max(throttle.wait() for throttle in refusing))


class ApiTokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's own personal API tokens. The value is in the creation answer only."""

    # Anyone signed in manages their own tokens; the queryset holds only the caller's.
    permissions_by_action = {
        "list": AUTHENTICATED,
        "create": AUTHENTICATED,
        "retrieve": AUTHENTICATED,
        "destroy": AUTHENTICATED,
        "metadata": AUTHENTICATED,
    }
    queryset = ApiToken.objects.none()  # for the schema generator; requests use get_queryset
    serializer_class = TokenOutputSerializer
    # No filters, search or ordering; a parameter the list does not take is still refused.
    filter_backends = [QueryParameterCheck]

    def get_queryset(self):
        return selectors.token_list(user=self.request.user)

    @extend_schema(request=TokenCreateInputSerializer, responses={201: TokenCreatedOutputSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        data = TokenCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, value = services.token_create(user=request.user, **data.validated_data)
        token.token = value  # only for this answer's serializer; never stored
        return Response(TokenCreatedOutputSerializer(token).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        services.token_revoke(token=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
