"""What the three messengers share: which connector sends (the first enabled
one of the type with "Send notifications" on), finding and caching the
person's user id there, printing to the console in the demo, and turning
connector errors into channel errors (``ChannelError``, ``NoAddress``)."""

from __future__ import annotations

import logging
import os
import sys
import threading
import uuid

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cms.models import Employee
from cms.notifications.channels import Channel, ChannelError, Message, NoAddress

from ..models import ConnectorConfig, MessagingAddress
from ..sdk.base import ConnectorError, EmployeeRef, MisconfiguredError
from ..sdk.common import is_on
from .settings import SEND

__all__ = ["MessengerChannel", "console_mode"]

logger = logging.getLogger(__name__)
_console_lock = threading.Lock()
NOT_FOUND = _("Baton found no %(system)s user with the e-mail %(email)s.")


def console_mode(config: ConnectorConfig) -> bool:
    """Print instead of sending: ``BATON_MESSAGING_CONSOLE=1``, or a demo
    connector (setting ``demo``) while ``DEBUG`` is on."""
    wanted = getattr(settings, "BATON_MESSAGING_CONSOLE", None)
    if wanted is None:
        wanted = os.environ.get("BATON_MESSAGING_CONSOLE", "")
    if wanted not in ("", None) and is_on(wanted):
        return True
    return bool(settings.DEBUG and is_on(config.settings.get("demo", False)))


class MessengerChannel(Channel):
    """A messenger reached through a connector type (``type_slug``). A type's
    channel says how to send (``deliver``) and which answers mean the person
    is unknown there (``UnknownUser``)."""

    type_slug = ""
    system = ""

    def __init__(self):
        self._kept = threading.local()

    class UnknownUser(Exception):
        """``deliver`` found the address refused: the person left, or the
        cached id is stale. Its argument, when given, is the reason shown
        (else "no user with the e-mail")."""

    # Choosing the connector ---------------------------------------------------------

    def config(self) -> ConnectorConfig | None:
        for config in ConnectorConfig.objects.filter(
            type=self.type_slug, enabled=True
        ).order_by("pk"):
            if is_on(config.settings.get(SEND, False)):
                return config
        return None

    def available(self) -> bool:
        return self.config() is not None

    def client_secrets(self, config: ConnectorConfig) -> dict:
        return config.get_secrets()

    def client(self, config: ConnectorConfig):
        """The connector type's client, kept per thread while the connector
        is unchanged: its access token serves the next messages too."""
        kept = self._kept.__dict__
        key = (config.pk, config.updated_at, config.secrets_ciphertext)
        if kept.get("key") != key:
            old = kept.get("client")
            if old is not None and hasattr(old, "close"):
                old.close()
            kept["key"], kept["client"] = key, self.new_client(config)
        return kept["client"]

    def new_client(self, config: ConnectorConfig):
        # People are found by e-mail, whatever the connector matches leavers by.
        return config.type_class(
            settings={
                **config.settings,
                "match_by": "email",
                "connector_id": config.pk,
            },
            secrets=self.client_secrets(config),
        )

    # Sending ------------------------------------------------------------------------

    def send(self, message: Message) -> str:
        config = self.config()
        if config is None:
            raise ChannelError(
                gettext("No %(system)s connector is set up to send notifications.")
                % {"system": self.system},
                retryable=False,
            )
        if console_mode(config):
            return self.print(message)
        try:
            return self._send(config, message)
        except ChannelError:
            raise
        except Exception:
            # Never the handover's problem: logged, and e-mail goes instead.
            logger.exception("Sending a %s notification failed", self.key)
            raise ChannelError(
                gettext("Baton could not send through %(system)s (an internal error).")
                % {"system": self.system}
            ) from None

    def _send(self, config: ConnectorConfig, message: Message) -> str:
        client = self.client(config)
        try:
            address = self.address(client, config, message.user)
            try:
                return self.deliver(client, config, address, message)
            except self.UnknownUser as unknown:
                MessagingAddress.objects.filter(
                    user=message.user, connector=config
                ).delete()
                reason = unknown.args[0] if unknown.args else ""
                raise NoAddress(reason or self.not_found(message.user)) from None
        except ConnectorError as error:
            raise ChannelError(
                client.scrub(str(error.message))
                if hasattr(client, "scrub")
                else str(error.message),
                retryable=error.retryable,
            ) from None

    def deliver(self, client, config, address: str, message: Message) -> str:
        raise NotImplementedError

    def dedupe_id(self, message: Message) -> str:
        """The message's dedupe id for the vendor: the same for every attempt
        at the same ``message.key`` to the same person through this channel
        (never random), "" when the message has no key. A UUID: 36 characters,
        within Feishu's 50."""
        if not message.key:
            return ""
        name = f"baton:{self.key}:{message.user.pk}:{message.key}"
        return str(uuid.uuid5(uuid.NAMESPACE_URL, name))

    def not_found(self, user) -> str:
        return gettext(NOT_FOUND) % {"system": self.system, "email": user.email}

    # Addresses ----------------------------------------------------------------------

    def address(self, client, config: ConnectorConfig, user) -> str:
        """The person's user id there: cached, else looked up by e-mail."""
        if not user.email:
            raise NoAddress(
                gettext("%(system)s users are found by e-mail: this person has none.")
                % {"system": self.system}
            )
        cached = MessagingAddress.objects.filter(user=user, connector=config).first()
        if cached and cached.email.casefold() == user.email.casefold():
            return cached.address
        person = _person(user)
        try:
            found = client.person_id(person)
        except MisconfiguredError:
            raise
        except ConnectorError as error:
            if error.retryable:
                raise
            found = None
        if not found:
            raise NoAddress(self.not_found(user))
        MessagingAddress.objects.update_or_create(
            user=user,
            connector=config,
            defaults={"channel": self.key, "address": found, "email": user.email},
        )
        return found

    # The demo -----------------------------------------------------------------------

    def print(self, message: Message) -> str:
        """Like Django's console e-mail backend: the message on stdout."""
        lines = [
            f"--- {self.system} ({self.key}) to {message.user.email} "
            f"[{message.language}] ---",
            message.subject,
            *(f"• {line}" for line in message.lines),
            f"{message.link_label}: {message.link}",
            "-" * 40,
        ]
        with _console_lock:
            sys.stdout.write("\n".join(lines) + "\n")
            sys.stdout.flush()
        logger.info("Printed a %s notification to %s", self.key, message.user.pk)
        return ""


def _person(user) -> EmployeeRef:
    """Whom to look up: the user's e-mail, with the employee record's name
    (how the directory spells it, e.g. 王丽) when there is one."""
    employee = Employee.objects.filter(user=user).only("name", "employee_number")
    employee = employee.first()
    return EmployeeRef(
        email=user.email,
        username=user.get_username(),
        employee_number=employee.employee_number if employee else "",
        name=(employee.name if employee else "")
        or user.get_full_name()
        or user.get_username(),
    )
