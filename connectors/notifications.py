"""Emails from the connectors app: IT hears about residual access."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils.translation import gettext

from .permissions import IT_GROUPS


def residual_alert(findings) -> int:
    """One email to the IT group listing accounts still active after departure."""
    recipients = list(
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=IT_GROUPS)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    if not recipients:
        return 0
    lines = [
        gettext("%(system)s: %(account)s (%(number)s), %(days)d day(s) after departure")
        % {
            "system": finding.grant.system,
            "account": finding.grant.account_label or finding.grant.account_id,
            "number": finding.grant.handover.number,
            "days": finding.days_after,
        }
        for finding in findings
    ]
    return send_mail(
        subject=gettext("Baton: %(count)d account(s) still active after departure")
        % {"count": len(findings)},
        message="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=recipients,
    )
