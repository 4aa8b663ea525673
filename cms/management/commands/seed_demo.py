from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cms.demo.seed import seed


class Command(BaseCommand):
    help = (
        "Load Baton's demo data (users, org chart, templates, workflow) and "
        "months of past handovers. Idempotent; never overwrites existing records."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (the demo users have a known password).",
        )
        parser.add_argument(
            "--no-history",
            action="store_true",
            help="Skip the months of past handovers behind the dashboard and "
            "reports (about three dozen, played through the services).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Refusing to load demo data with DEBUG=0: the demo users share a "
                "known password. Pass --force if you really mean it."
            )
        seed(
            stdout=self.stdout,
            sales_handover=True,
            history=not options["no_history"],
        )
