"""What every notification email shares: links and languages, who a role is
among a handover's participants, rendering in the recipient's language, and
sending."""

import re

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template import Context, Engine
from django.template.loader import render_to_string
from django.utils import translation

from ..models import Handover

__all__ = [
    "display_name",
    "email_message",
    "gather",
    "handover_language",
    "handovers_url",
    "participant_url",
    "preferred_languages",
    "reachable",
    "render_email",
    "render_text",
    "send_all",
    "supported_language",
    "with_role",
]


# Links and languages ----------------------------------------------------------------


def handovers_url(language: str) -> str:
    return f"{settings.WAGTAILADMIN_BASE_URL.rstrip('/')}/{language}/handovers/"


def participant_url(handover_id: int, language: str) -> str:
    return f"{handovers_url(language)}{handover_id}/"


def supported_language(language: str | None) -> str | None:
    language = (language or "").lower()
    return language if language in dict(settings.LANGUAGES) else None


def preferred_languages(user_ids) -> dict[int, str]:
    """The language each user chose in their Wagtail profile, where they chose
    one. One query, and no profile is created for those who have none."""
    from wagtail.users.models import UserProfile

    rows = (
        UserProfile.objects.filter(user_id__in=list(user_ids))
        .exclude(preferred_language="")
        .values_list("user_id", "preferred_language")
    )
    return {user_id: code for user_id, code in rows if supported_language(code)}


def handover_language(handover: Handover) -> str:
    return supported_language(handover.language) or settings.LANGUAGE_CODE


# Recipients -------------------------------------------------------------------------


def display_name(user, language: str | None = None) -> str:
    """A person as a message names them: the one name rule (``cms.names``) in
    ``language``, by default the active one (a message renders inside its
    recipient's language)."""
    from ..names import person_name

    return person_name(user, language)


def reachable(user) -> bool:
    return bool(user.is_active and user.email)


def gather(participants, keep=lambda participant: True) -> dict[int, tuple]:
    """user id → (user, their roles among the kept participant rows)."""
    people = {}
    for participant in participants:
        if keep(participant):
            _user, roles = people.setdefault(
                participant.user_id, (participant.user, [])
            )
            roles.append(participant.role)
    return people


def with_role(participants, role: str) -> dict[int, tuple]:
    return gather(participants, lambda participant: participant.role == role)


# Rendering --------------------------------------------------------------------------


def render_text(template_name: str, context: dict) -> str:
    """A plain-text template: nothing HTML-escaped, blank lines tidied."""
    template = Engine.get_default().get_template(template_name)
    text = template.render(Context(context, autoescape=False))
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def render_email(*, user, language, template, context, link, link_label):
    """Subject, plain text and HTML of one e-mail in ``language``."""
    with translation.override(language):
        context = {
            **context,
            "language": language,
            "recipient_name": display_name(user),
            "link": link,
            "link_label": link_label,
        }
        subject = " ".join(
            render_text(f"cms/email/{template}_subject.txt", context).split()
        )
        context["subject"] = subject
        context["body"] = render_text(f"cms/email/{template}.txt", context)
        text = render_text("cms/email/layout.txt", context)
        html = render_to_string("cms/email/layout.html", context)
    return subject, text, html


def email_message(*, user, language, template, context, link, link_label):
    subject, text, html = render_email(
        user=user,
        language=language,
        template=template,
        context=context,
        link=link,
        link_label=link_label,
    )
    message = EmailMultiAlternatives(subject=subject, body=text, to=[user.email])
    message.attach_alternative(html, "text/html")
    return message


def send_all(messages) -> int:
    if not messages:
        return 0
    with get_connection() as connection:
        return connection.send_messages(messages) or 0
