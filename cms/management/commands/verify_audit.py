from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from cms.models import AuditEvent
from cms.services.audit import chain_verify


class Command(BaseCommand):
    help = (
        "Re-compute the audit hash chains. Exits non-zero and names the first "
        "broken event when a row was altered, removed or inserted."
    )

    def add_arguments(self, parser):
        parser.add_argument("--handover", type=int, help="Only this handover's chain.")

    def handle(self, *args, **options):
        handover_ids = (
            [options["handover"]]
            if options["handover"]
            else list(
                AuditEvent.objects.values_list("handover_id", flat=True)
                .distinct()
                .order_by("handover_id")
            )
        )
        counts = dict(
            AuditEvent.objects.filter(handover_id__in=handover_ids)
            .values_list("handover_id")
            .annotate(Count("pk"))
        )
        broken = []
        for handover_id in handover_ids:
            event = chain_verify(handover_id)
            if event is not None:
                broken.append(
                    f"handover {handover_id}: event #{event.sequence} "
                    f"(id {event.pk}, {event.action}) does not match its hash chain"
                )
        if options["handover"] and not counts:
            raise CommandError(f"Handover {options['handover']} has no audit events.")
        if broken:
            raise CommandError("Audit chain broken:\n" + "\n".join(broken))
        total = sum(counts.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(handover_ids)} chain(s), {total} event(s): all intact."
            )
        )
