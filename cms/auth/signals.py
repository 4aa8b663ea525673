"""Tokens die with the credentials they were issued for: a password change and
a change of the account's active flag revoke all of a user's API tokens.

Deactivation revokes them, and so does reactivation, so tokens left behind by a
deactivation that skipped ``save()`` (a bulk ``update()``) cannot come back
either. Connected in ``CmsConfig.ready``."""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import get_hasher, identify_hasher
from django.db.models.signals import post_save, pre_save

from .tokens import tokens_revoke

__all__ = ["connect"]

_BEFORE = "_baton_credentials_before"
_WATCHED = {"password", "is_active"}


def _remember(sender, instance, update_fields=None, **kwargs):
    """Read the stored password hash and active flag before a save that may
    change them (one query; none for saves of other fields, like last_login)."""
    if instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not _WATCHED & set(update_fields):
        return
    before = (
        sender._default_manager.filter(pk=instance.pk)
        .values("password", "is_active")
        .first()
    )
    setattr(instance, _BEFORE, before)


def _rehashed(user, old_hash: str) -> bool:
    """Signing in with a hash made with outdated parameters (after a Django
    upgrade) stores a new hash of the same password: not a password change.
    ``set_password`` leaves the new password in ``_password`` until saved."""
    if getattr(user, "_password", None) is not None:
        return False
    try:
        hasher = identify_hasher(old_hash)
    except ValueError:
        return False
    preferred = get_hasher()
    return hasher.algorithm != preferred.algorithm or preferred.must_update(old_hash)


def _revoke_on_change(sender, instance, created=False, **kwargs):
    before = instance.__dict__.pop(_BEFORE, None)
    if created or before is None:
        return
    if before["is_active"] != instance.is_active:
        reason = "activated" if instance.is_active else "deactivated"
    elif before["password"] != instance.password and not _rehashed(
        instance, before["password"]
    ):
        reason = "password changed"
    else:
        return
    tokens_revoke(user=instance, reason=reason)


def connect() -> None:
    user_model = get_user_model()
    pre_save.connect(_remember, sender=user_model, dispatch_uid="baton.tokens.before")
    post_save.connect(
        _revoke_on_change, sender=user_model, dispatch_uid="baton.tokens.revoke"
    )
