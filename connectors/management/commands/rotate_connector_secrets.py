"""Re-encrypt every connector's secrets with the first key of BATON_SECRETS_KEYS.

Rotation: put a new key first (``--new-key`` prints one), keep the old one after
it, run this command, then drop the old key."""

from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from connectors.crypto import SecretsUnreadable, rotate_token
from connectors.models import ConnectorConfig


class Command(BaseCommand):
    help = "Re-encrypt connector secrets with the newest key (or print a new key)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--new-key", action="store_true", help="Print a new Fernet key and exit."
        )

    def handle(self, *args, new_key=False, **options):
        if new_key:
            self.stdout.write(Fernet.generate_key().decode())
            return
        rotated = 0
        with transaction.atomic():
            for config in ConnectorConfig.objects.select_for_update().exclude(
                secrets_ciphertext=""
            ):
                try:
                    config.secrets_ciphertext = rotate_token(config.secrets_ciphertext)
                except SecretsUnreadable as error:
                    raise CommandError(f"{config.slug}: {error}") from error
                config.save(update_fields=["secrets_ciphertext"])
                rotated += 1
        self.stdout.write(f"Re-encrypted the secrets of {rotated} connector(s).")
