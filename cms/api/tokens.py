"""Sign-in for API clients: the token endpoint, and the tokens a user holds
(list, revoke one, revoke all). Token admins (HR, IT) see and revoke anyone's.
Rules live in ``cms.auth.tokens``; sign-in lockout in django-axes."""

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.signals import user_logged_in
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from cms.auth import tokens
from cms.auth.client_ip import client_ip
from cms.auth.lockout import cool_off_minutes
from cms.errors import InvalidInput, NotFound, TooManyAttempts

from .serializers import (
    TokenInfoSerializer,
    TokenListQuerySerializer,
    TokenRequestSerializer,
    TokenRevokeAllSerializer,
    TokenSerializer,
    TokensRevokedSerializer,
)

__all__ = ["TokenView", "urlpatterns"]


class TokenScheme(OpenApiAuthenticationExtension):
    """How the schema describes Baton's token authentication."""

    target_class = "cms.auth.tokens.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization",
            token_prefix=self.target.authenticate_header(None),
        )


class LoginThrottle(AnonRateThrottle):
    """A ceiling on token requests per client address: the address behind
    trusted proxies only, so a made-up X-Forwarded-For is no new client."""

    rate = "20/min"
    scope = "login"

    def get_ident(self, request):
        return client_ip(request) or ""


def _locked_out_message(request) -> str:
    minutes = cool_off_minutes(request)
    return ngettext(
        "Too many failed sign-ins for this user or from this address. "
        "Try again in %(minutes)d minute.",
        "Too many failed sign-ins for this user or from this address. "
        "Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class TokenView(APIView):
    """Exchange a username and password for an API token (send it as
    ``Authorization: Token <token>``). It expires after a period without use
    and, at the latest, a fixed time after it was issued. Repeated wrong
    passwords lock the username and the client address out for a while (429)."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [LoginThrottle]

    @extend_schema(
        summary="Get an API token",
        tags=["auth"],
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description="Missing fields or wrong credentials."),
            429: OpenApiResponse(
                description="Too many failed sign-ins for this username or from "
                "this address, or too many requests: try again later."
            ),
        },
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The DRF request, not the Django one: axes marks a lockout on the
        # request it is given, and on the Django one its middleware would
        # replace this API's JSON answer with its own page.
        user = authenticate(
            request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if getattr(request, "axes_locked_out", False):
            raise TooManyAttempts(_locked_out_message(request))
        if user is None or not user.is_active:
            raise InvalidInput(
                _("Unable to sign in with the username and password given.")
            )
        token, secret = tokens.token_create(user=user)
        # A sign-in like any other: axes clears the user's failures, Django
        # records last_login.
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        return Response(
            TokenSerializer(
                {
                    "token": secret,
                    "expiry": token.expiry,
                    "id": tokens.token_public_id(token),
                }
            ).data
        )


class TokenListView(generics.ListAPIView):
    """Your unexpired API tokens, newest first (never the tokens themselves).
    Token admins (HR, IT) see everyone's and may narrow to one ``user``."""

    serializer_class = TokenInfoSerializer
    filter_backends = []

    @extend_schema(
        summary="API tokens", tags=["auth"], parameters=[TokenListQuerySerializer]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = TokenListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return tokens.tokens_visible(
            actor=self.request.user, user_id=query.validated_data.get("user")
        )


class TokenDetailView(APIView):
    @extend_schema(
        summary="Revoke an API token",
        tags=["auth"],
        request=None,
        responses={
            204: OpenApiResponse(description="Revoked: it no longer signs in."),
            404: OpenApiResponse(description="No such token of yours."),
        },
    )
    def delete(self, request, token_id):
        """Revoke one of your tokens (token admins: anyone's) by its id."""
        tokens.token_revoke(actor=request.user, token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenRevokeAllView(APIView):
    @extend_schema(
        summary="Revoke all API tokens of a user",
        tags=["auth"],
        request=TokenRevokeAllSerializer,
        responses={
            200: TokensRevokedSerializer,
            404: OpenApiResponse(description="No such user, or not yours to manage."),
        },
    )
    def post(self, request):
        """Revoke every token of yours (this one included), or, for token
        admins, of the ``user`` named."""
        serializer = TokenRevokeAllSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = request.user
        user_id = serializer.validated_data.get("user")
        if user_id is not None and user_id != user.pk:
            user = get_user_model().objects.filter(pk=user_id).first()
            if user is None:
                raise NotFound()
        count = tokens.tokens_revoke_all(actor=request.user, user=user)
        return Response(TokensRevokedSerializer({"revoked": count}).data)


urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("auth/tokens/", TokenListView.as_view(), name="tokens"),
    path("auth/tokens/revoke-all/", TokenRevokeAllView.as_view(), name="tokens-revoke"),
    path("auth/tokens/<str:token_id>/", TokenDetailView.as_view(), name="token-detail"),
]
