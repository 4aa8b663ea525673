"""Encryption of backups with age (pyrage): to public recipients, so the
server that writes backups cannot read them; restore needs an identity."""

from pathlib import Path

import pyrage
from django.utils.translation import gettext as _
from pyrage import ssh, x25519

from .errors import BackupError

__all__ = ["archive_decrypt", "archive_encrypt", "identities_read", "recipients_parse"]


def recipients_parse(values) -> list:
    """age recipients ("age1…") or SSH public keys ("ssh-ed25519 …")."""
    recipients = []
    for value in (value.strip() for value in values):
        if not value:
            continue
        try:
            if value.startswith("ssh-"):
                recipients.append(ssh.Recipient.from_str(value))
            else:
                recipients.append(x25519.Recipient.from_str(value))
        except pyrage.RecipientError as error:
            raise BackupError(
                _("%(value)s is not an age recipient (age1…): %(error)s")
                % {"value": value[:24], "error": error}
            ) from error
    if not recipients:
        raise BackupError(
            _(
                "Set BATON_BACKUP_RECIPIENTS to the age public key(s) backups are "
                "encrypted to (age-keygen prints one)."
            )
        )
    return recipients


def identities_read(path: Path) -> list:
    """The identities of an age identity file (as age-keygen writes it)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise BackupError(
            _("Cannot read the identity file %(path)s: %(error)s")
            % {"path": path, "error": error.strerror or error}
        ) from error
    identities = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            identities.append(x25519.Identity.from_str(line))
        except pyrage.IdentityError as error:
            raise BackupError(
                _("%(path)s is not an age identity file (AGE-SECRET-KEY-1…).")
                % {"path": path}
            ) from error
    if not identities:
        raise BackupError(
            _("%(path)s holds no age identity (AGE-SECRET-KEY-1…).") % {"path": path}
        )
    return identities


def archive_encrypt(source: Path, target: Path, recipients: list) -> None:
    """File to file: the archive is never held in memory."""
    try:
        pyrage.encrypt_file(str(source), str(target), recipients)
    except pyrage.EncryptError as error:
        raise BackupError(
            _("Encrypting the backup failed: %(error)s") % {"error": error}
        ) from error


def archive_decrypt(source: Path, target: Path, identities: list) -> None:
    """Refuses an archive none of the identities opens, and any archive whose
    bytes changed (age authenticates every chunk)."""
    try:
        pyrage.decrypt_file(str(source), str(target), identities)
    except (pyrage.DecryptError, OSError) as error:
        target.unlink(missing_ok=True)
        # A changed chunk fails its authentication as an OSError without an
        # errno; a real I/O error (a full disk) has one.
        if isinstance(error, OSError) and error.errno is not None:
            raise BackupError(
                _("Reading the backup failed: %(error)s") % {"error": error}
            ) from error
        if "no matching keys" in str(error).lower():
            raise BackupError(
                _(
                    "This identity cannot open the backup: it was encrypted to "
                    "other recipients. Use the identity file whose public key is in "
                    "BATON_BACKUP_RECIPIENTS. Nothing was changed."
                )
            ) from error
        raise BackupError(
            _(
                "The backup cannot be decrypted, it is damaged or was altered "
                "(%(error)s). Nothing was changed."
            )
            % {"error": error}
        ) from error
