from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from cms.services.audit import audit_checkpoint_create, chain_checkpoints_backfill


class Command(BaseCommand):
    help = (
        "Write a signed checkpoint of the whole audit trail now (the hourly task "
        "does it too). With --backfill, first sign a checkpoint for each chain "
        "that has none: chains written before checkpoints existed or loaded in "
        "bulk. Never backfill to silence verify_audit: a chain that lost its "
        "checkpoint may have lost its tail with it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--backfill",
            action="store_true",
            help="Anchor the chains that have no checkpoint where they stand.",
        )

    def handle(self, *args, **options):
        if options["backfill"]:
            anchored = chain_checkpoints_backfill()
            self.stdout.write(_("%(count)s chain(s) anchored.") % {"count": anchored})
        checkpoint = audit_checkpoint_create()
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Database checkpoint #%(id)s: %(events)s event(s) in "
                    "%(chains)s chain(s), signed with key %(key)s."
                )
                % {
                    "id": checkpoint.pk,
                    "events": checkpoint.events,
                    "chains": checkpoint.chains,
                    "key": checkpoint.key_id,
                }
            )
        )
