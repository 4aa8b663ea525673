from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from cms.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Write one encrypted backup (database, stored files, the signing key's "
        "public half, a signed manifest) to BATON_BACKUP_DIR or BATON_BACKUP_URL, "
        "then keep the newest BATON_BACKUP_KEEP. See docs/backup.md."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--to",
            default="",
            help="A directory or s3://bucket/prefix instead of the configured one.",
        )
        parser.add_argument(
            "--keep", type=int, help="Keep this many backups (BATON_BACKUP_KEEP)."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Build and encrypt the backup, but write and delete nothing.",
        )

    def handle(self, *args, **options):
        try:
            result = backup_create(
                target=options["to"], keep=options["keep"], dry_run=options["dry_run"]
            )
        except BackupError as error:
            raise CommandError(
                _("Backup failed: %(error)s") % {"error": error}
            ) from error
        except Exception as error:  # storage, network, database: a message too
            raise CommandError(
                _("Backup failed: %(error)s")
                % {"error": f"{type(error).__name__}: {error}"}
            ) from error
        rows = sum(result.counts.values())
        summary = _(
            "%(where)s: %(size)s, %(rows)s row(s) in %(tables)s table(s), "
            "%(files)s file(s)."
        ) % {
            "where": result.where,
            "size": filesizeformat(result.size),
            "rows": rows,
            "tables": len(result.counts),
            "files": result.files,
        }
        if result.dry_run:
            self.stdout.write(
                _("Dry run, nothing written: %(summary)s") % {"summary": summary}
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Backup written: %(summary)s") % {"summary": summary}
                )
            )
        for name in result.deleted:
            line = (
                _("Would delete %(name)s") if result.dry_run else _("Deleted %(name)s")
            )
            self.stdout.write(line % {"name": name})
