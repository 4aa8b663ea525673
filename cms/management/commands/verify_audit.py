from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cms.models import Handover
from cms.services.audit.verification import audit_verify, checkpoint_time


class Command(BaseCommand):
    help = (
        "Re-compute the audit hash chains and hold them to the server-signed "
        "checkpoints. Exits non-zero and names each handover and event when "
        "events were altered, removed (from the middle, the end, whole chains or "
        "the whole table), inserted or re-chained."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--handover",
            help="Only this handover's chain (its id or its number, HO-…).",
        )

    def handle(self, *args, **options):
        handover_id = None
        if options["handover"]:
            handover_id = self._handover_id(options["handover"])
        report = audit_verify(handover_id=handover_id)
        if report.findings:
            lines = [
                f"{finding.handover or _('whole database')}: {finding.message}"
                for finding in report.findings
            ]
            raise CommandError(
                _("Audit trail broken: %(count)s finding(s).")
                % {"count": len(report.findings)}
                + "\n"
                + "\n".join(lines)
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("%(chains)s chain(s), %(events)s event(s): all intact.")
                % {"chains": report.chains, "events": report.events}
            )
        )
        newest = report.database_checkpoint
        if handover_id is not None:
            return
        if newest is None:
            self.stdout.write(
                _(
                    "No database checkpoint yet: the hourly task writes one, "
                    "manage.py audit_checkpoint writes one now."
                )
            )
        else:
            self.stdout.write(
                _(
                    "Newest database checkpoint: #%(id)s of %(when)s, %(events)s "
                    "event(s) in %(chains)s chain(s)."
                )
                % {
                    "id": newest.pk,
                    "when": checkpoint_time(newest.created_at),
                    "events": newest.events,
                    "chains": newest.chains,
                }
            )

    def _handover_id(self, value: str) -> int:
        lookup = {"pk": int(value)} if value.isdigit() else {"number": value}
        handover_id = (
            Handover.objects.filter(**lookup).values_list("pk", flat=True).first()
        )
        if handover_id is None:
            raise CommandError(
                _("Handover %(handover)s does not exist.") % {"handover": value}
            )
        return handover_id
