"""The public verification page: anyone holding a certificate can check it.
It shows only minimal facts, never personal data beyond initials."""

from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cms.models import Certificate
from cms.services.erasure import is_pseudonym

from .services import employee_initials


def _normalise(code: str) -> str:
    cleaned = "".join(char for char in (code or "").upper() if char.isalnum())
    return "-".join(cleaned[index : index + 4] for index in range(0, len(cleaned), 4))


@never_cache
@require_GET
def verify(request, code=None):
    if code is None and request.GET.get("code"):
        return redirect("reports:verify", code=_normalise(request.GET["code"]))
    context = {"code": code, "certificate": None, "checked": code is not None}
    if code is not None:
        certificate = (
            Certificate.objects.select_related("handover__employee")
            .filter(code=_normalise(code))
            .first()
        )
        if certificate is not None:
            name = certificate.handover.employee.name
            context.update(
                certificate=certificate,
                handover_number=certificate.handover.number,
                # An anonymised employee has no initials left to show.
                initials=employee_initials("" if is_pseudonym(name) else name),
                completed_at=certificate.handover.completed_at,
            )
    status = 404 if context["checked"] and context["certificate"] is None else 200
    return TemplateResponse(request, "reports/verify.html", context, status=status)
