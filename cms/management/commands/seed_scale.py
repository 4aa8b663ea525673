import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from cms.demo.scale import ScaleSpec, find_scale, seed_scale
from cms.demo.scale_history import seed_history


class Command(BaseCommand):
    help = (
        "Generate an enterprise-sized company for benchmarks: employees and users, "
        "handovers in mixed states with their items, versions, questions, "
        "signatures, audit trail and object permissions, then their history "
        "(certificates, access changes, residual access, answers). PostgreSQL "
        "only; use a database of its own. Idempotent per seed: a second run does "
        "nothing."
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
        parser.add_argument(
            "--history-only",
            action="store_true",
            help="Only add the history to the company already seeded with --seed.",
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("seed_scale needs PostgreSQL (it loads rows with COPY).")
        if options["history_only"]:
            info = find_scale(options["seed"])
            if info is None:
                raise CommandError(f"No company of seed {options['seed']} here.")
            seed_history(info, stdout=self.stdout)
            return
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
                f"Seed {spec.seed} ({spec.marker}) is already here "
                f"({result['seconds']:.1f} s)."
            )
        # Also for a company seeded before the history existed: it adds only
        # what is missing.
        seed_history(result["info"], stdout=self.stdout)
