import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from cms.demo.scale import ScaleSpec, seed_scale


class Command(BaseCommand):
    help = (
        "Generate an enterprise-sized company for benchmarks: employees and users, "
        "handovers in mixed states with their items, versions, questions, "
        "signatures, audit trail and object permissions. PostgreSQL only; use a "
        "database of its own. Idempotent per seed: a second run does nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--employees", type=int, default=20_000, help="Employees (and users)."
        )
        parser.add_argument("--handovers", type=int, default=5_000)
        parser.add_argument(
            "--items", type=int, default=120, help="Average items per handover."
        )
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="The company's 'today' (YYYY-MM-DD); default: today.",
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("seed_scale needs PostgreSQL (it loads rows with COPY).")
        spec = ScaleSpec(
            seed=options["seed"],
            employees=options["employees"],
            handovers=options["handovers"],
            items=options["items"],
            today=options["today"] or datetime.date.today(),
        )
        try:
            spec.validate()
            result = seed_scale(spec, stdout=self.stdout)
        except ValueError as error:
            raise CommandError(str(error)) from error
        if not result["created"]:
            self.stdout.write(
                f"Seed {spec.seed} ({spec.marker}) is already here; nothing to do "
                f"({result['seconds']:.1f} s)."
            )
