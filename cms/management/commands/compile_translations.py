"""Compile every ``.po`` catalogue of the project into ``.mo``.

Django's ``compilemessages`` needs GNU gettext's ``msgfmt``; this uses polib so a
fresh machine with only Python can build Baton's translations."""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand

SOURCE_DIRS = ["checklist_blocks", "cms", "connectors", "reports", "config"]


class Command(BaseCommand):
    help = "Compile the project's .po translation catalogues into .mo files."

    def handle(self, *args, **options):
        compiled = 0
        for directory in SOURCE_DIRS:
            for po_path in sorted(
                (Path(settings.BASE_DIR) / directory).glob("locale/*/LC_MESSAGES/*.po")
            ):
                catalogue = polib.pofile(str(po_path))
                catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))
                compiled += 1
                self.stdout.write(
                    f"{po_path.relative_to(settings.BASE_DIR)}: "
                    f"{catalogue.percent_translated()}% translated"
                )
        self.stdout.write(self.style.SUCCESS(f"Compiled {compiled} catalogue(s)."))
