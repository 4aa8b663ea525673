"""API tokens (django-rest-knox): issued by the token endpoint, stored only as
a hash, expiring ``BATON_TOKEN_IDLE`` after their last use and never later than
``BATON_TOKEN_TTL`` after they were issued (``REST_KNOX`` in the settings).
Their user and HR/IT admins list and revoke them; a password change and any
change of the account's active flag revoke them all (``cms.auth.signals``)."""

import logging
import re

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.models import AuthToken
from knox.signals import token_expired

from cms.errors import NotFound
from cms.permissions import is_hr_admin

logger = logging.getLogger(__name__)

__all__ = [
    "TokenAuthentication",
    "can_manage_tokens",
    "token_create",
    "token_expires_by",
    "token_public_id",
    "token_revoke",
    "tokens_revoke",
    "tokens_revoke_all",
    "tokens_visible",
]

# Tokens are named by the start of their hash: unique in practice, and unlike
# the start of the token itself it tells nothing about the secret.
PUBLIC_ID_LENGTH = 16
PUBLIC_ID = re.compile(rf"[0-9a-f]{{{PUBLIC_ID_LENGTH}}}")


class TokenAuthentication(KnoxTokenAuthentication):
    """Knox's token authentication (``Authorization: Token <token>``), without
    its sweep of the user's other expired tokens on every request, which costs
    a query each time: those are swept when the user gets a new token, and
    lists never show them."""

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is None or auth_token.expiry >= timezone.now():
            return False
        username = auth_token.user.get_username()
        auth_token.delete()
        token_expired.send(
            sender=self.__class__, username=username, source="auth_token"
        )
        return True


def token_public_id(token: AuthToken) -> str:
    return token.digest[:PUBLIC_ID_LENGTH]


def token_expires_by(token: AuthToken):
    """The latest the token can live, however often it is used."""
    return token.created + settings.BATON_TOKEN_TTL


def can_manage_tokens(user) -> bool:
    """HR admins and the groups in ``BATON_TOKEN_ADMIN_GROUPS`` (IT) see and
    revoke everybody's tokens."""
    if not user.is_authenticated or not user.is_active:
        return False
    if is_hr_admin(user):
        return True
    return user.groups.filter(name__in=settings.BATON_TOKEN_ADMIN_GROUPS).exists()


def _live(tokens):
    return tokens.filter(Q(expiry__isnull=True) | Q(expiry__gt=timezone.now()))


def token_create(*, user) -> tuple[AuthToken, str]:
    """A new token for ``user`` (already authenticated): the record, and the
    token itself, which is shown once and never stored."""
    user.auth_token_set.filter(expiry__lte=timezone.now()).delete()
    return AuthToken.objects.create(user=user)


def tokens_visible(*, actor, user_id=None):
    """Unexpired tokens ``actor`` may see: their own, or anyone's for token
    admins (``user_id`` narrows to one user), newest first."""
    tokens = _live(AuthToken.objects.select_related("user")).order_by("-created")
    if not can_manage_tokens(actor):
        tokens = tokens.filter(user=actor)
    if user_id is not None:
        tokens = tokens.filter(user_id=user_id)
    return tokens


def token_revoke(*, actor, token_id: str) -> AuthToken:
    """Revoke one token by its public id; someone else's is NotFound unless
    ``actor`` is a token admin."""
    token_id = (token_id or "").lower()
    token = None
    if PUBLIC_ID.fullmatch(token_id):
        token = tokens_visible(actor=actor).filter(digest__startswith=token_id).first()
    if token is None:
        raise NotFound()
    token.delete()
    logger.info(
        "API token %s of %s revoked by %s",
        token_id,
        token.user.get_username(),
        actor.get_username(),
    )
    return token


def tokens_revoke_all(*, actor, user) -> int:
    """Revoke every token of ``user`` (oneself, or anyone for token admins)."""
    if user.pk != actor.pk and not can_manage_tokens(actor):
        raise NotFound()
    return tokens_revoke(user=user, reason=f"revoked by {actor.get_username()}")


def tokens_revoke(*, user, reason: str) -> int:
    """Delete every token of ``user``: a deleted token never comes back, even
    when the account is reactivated or the password set back."""
    count, _deleted = AuthToken.objects.filter(user=user).delete()
    if count:
        logger.info(
            "%d API token(s) of %s revoked: %s", count, user.get_username(), reason
        )
    return count
