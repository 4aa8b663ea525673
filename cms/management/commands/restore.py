from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cms.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup into the configured, empty database and file storage, "
        "then prove it: row counts as in the backup, verify_audit, every "
        "certificate. Exits non-zero when anything fails. See docs/backup.md."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "archive",
            help=(
                "A backup file, s3://bucket/prefix/name, a backup's name in the "
                "configured destination, or latest."
            ),
        )
        parser.add_argument(
            "--identity",
            required=True,
            type=Path,
            help="The age identity file whose public key backups are encrypted to.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Restore over a database and storage that are not empty.",
        )

    def handle(self, *args, **options):
        try:
            report = backup_restore(
                options["archive"],
                identity=options["identity"],
                force=options["force"],
                say=self.stdout.write,
            )
        except BackupError as error:
            raise CommandError(
                _("Restore failed: %(error)s") % {"error": error}
            ) from error
        except Exception as error:  # storage, network, database: a message too
            raise CommandError(
                _("Restore failed: %(error)s")
                % {"error": f"{type(error).__name__}: {error}"}
            ) from error
        for label, (expected, actual) in sorted(report.counts.items()):
            if expected or actual:
                mark = "" if expected == actual else "  ≠"
                self.stdout.write(f"{label}: {actual} ({expected}){mark}")
        self.stdout.write(
            _("%(rows)s row(s) and %(files)s file(s) restored.")
            % {
                "rows": sum(
                    actual or 0 for _expected, actual in report.counts.values()
                ),
                "files": report.files,
            }
        )
        self.stdout.write(report.audit_output)
        self.stdout.write(
            _("%(count)s certificate(s) checked.") % {"count": report.certificates}
        )
        problems = []
        if report.mismatched:
            problems.append(
                _("Row counts differ from the backup: %(labels)s")
                % {"labels": ", ".join(report.mismatched)}
            )
        if not report.audit_ok:
            problems.append(_("verify_audit failed."))
        problems += [
            _("Certificate %(line)s") % {"line": line}
            for line in report.certificate_failures
        ]
        if problems:
            raise CommandError(
                _("Restored, but the checks failed:") + "\n" + "\n".join(problems)
            )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Restore complete: counts match, the audit trail and every "
                    "certificate verify."
                )
            )
        )
