"""Verifying the trail: every event against its hash and its predecessor,
every chain against its signed checkpoint, every handover against its chain,
and the whole database against its newest signed checkpoint.

One pass over the events in (handover, sequence) order, streamed: the cost is
one query for the events whatever their number, plus one each for the
handovers, the chain checkpoints and the database checkpoints."""

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cms.models import (
    AuditChainCheckpoint,
    AuditDatabaseCheckpoint,
    AuditEvent,
    Handover,
)

from .chain import (
    GENESIS_HASH,
    chain_checkpoint_payload,
    event_erasable_intact,
    event_hash,
)
from .checkpoints import database_checkpoint_verify, heads_add, heads_hasher

__all__ = ["AuditReport", "Finding", "audit_verify", "checkpoint_time"]

_BATCH = 5_000


@dataclass(frozen=True)
class Finding:
    """One thing that is not as the server left it. ``handover`` is the
    handover's number, empty for findings about the whole database."""

    handover: str
    sequence: int | None
    message: str


@dataclass
class AuditReport:
    chains: int = 0
    events: int = 0
    findings: list[Finding] = field(default_factory=list)
    # The newest database checkpoint, when the whole database was verified.
    database_checkpoint: AuditDatabaseCheckpoint | None = None

    @property
    def intact(self) -> bool:
        return not self.findings


@dataclass
class _Chain:
    handover_id: int
    length: int = 0
    head: str = GENESIS_HASH
    # Events up to the newest database checkpoint's last event id.
    counted: int = 0


class _Walk:
    def __init__(self, *, numbers, checkpoints, last_event_id, key_id):
        self.numbers = numbers
        self.checkpoints = checkpoints
        self.last_event_id = last_event_id
        self.key_id = key_id
        self.report = AuditReport()
        self.seen = set()
        self.heads = heads_hasher()
        self.counted_events = 0
        self.counted_chains = 0
        self.newer_events = False
        self.chain = None

    def finding(self, handover_id, sequence, message):
        number = self.numbers.get(handover_id, str(handover_id))
        self.report.findings.append(Finding(number, sequence, message))

    def event(self, event: AuditEvent):
        chain = self.chain
        if chain is None or chain.handover_id != event.handover_id:
            self.close()
            chain = self.chain = _Chain(event.handover_id)
        self.report.events += 1
        expected = chain.length + 1
        if event.sequence > expected:
            self.finding(event.handover_id, expected, _gap(expected, event.sequence))
        elif event.previous_hash != chain.head:
            # After a gap the link is broken by the gap itself: said once.
            self.finding(
                event.handover_id,
                event.sequence,
                _(
                    "event #%(sequence)s (id %(id)s, %(action)s) does not link "
                    "to the event before it: events were rewritten or inserted."
                )
                % _event_names(event),
            )
        if event_hash(event) != event.hash or not event_erasable_intact(event):
            self.finding(
                event.handover_id,
                event.sequence,
                _(
                    "event #%(sequence)s (id %(id)s, %(action)s) was altered: its "
                    "content no longer matches its hash."
                )
                % _event_names(event),
            )
        chain.length, chain.head = event.sequence, event.hash
        if self.last_event_id is not None:
            if event.pk <= self.last_event_id:
                chain.counted += 1
            else:
                self.newer_events = True

    def close(self):
        """The chain just walked, against its checkpoint."""
        chain, self.chain = self.chain, None
        if chain is None:
            return
        self.seen.add(chain.handover_id)
        self.report.chains += 1
        self.counted_events += chain.counted
        self.counted_chains += chain.counted > 0
        heads_add(
            self.heads,
            handover_id=chain.handover_id,
            length=chain.length,
            head_hash=chain.head,
        )
        checkpoint = self.checkpoints.get(chain.handover_id)
        if checkpoint is None:
            self.finding(
                chain.handover_id,
                None,
                _(
                    "its chain, up to event #%(length)s, has no signed checkpoint: "
                    "the checkpoint was deleted, or the events were written behind "
                    "the server's back."
                )
                % {"length": chain.length},
            )
            return
        if not self.checkpoint_holds(checkpoint):
            return
        names = {"found": chain.length, "expected": checkpoint.length}
        if chain.length < checkpoint.length:
            first, last = chain.length + 1, checkpoint.length
            message = (
                _(
                    "the chain ends at event #%(found)s, its signed checkpoint at "
                    "#%(expected)s: event #%(first)s was deleted from its end."
                )
                if first == last
                else _(
                    "the chain ends at event #%(found)s, its signed checkpoint at "
                    "#%(expected)s: events #%(first)s to #%(last)s were deleted "
                    "from its end."
                )
            )
            names |= {"first": first, "last": last}
            self.finding(chain.handover_id, first, message % names)
        elif chain.length > checkpoint.length:
            first, last = checkpoint.length + 1, chain.length
            message = (
                _(
                    "the chain runs to event #%(found)s, its signed checkpoint "
                    "ends at #%(expected)s: event #%(first)s was added without "
                    "the server."
                )
                if first == last
                else _(
                    "the chain runs to event #%(found)s, its signed checkpoint "
                    "ends at #%(expected)s: events #%(first)s to #%(last)s were "
                    "added without the server."
                )
            )
            names |= {"first": first, "last": last}
            self.finding(chain.handover_id, first, message % names)
        elif chain.head != checkpoint.head_hash:
            self.finding(
                chain.handover_id,
                chain.length,
                _(
                    "event #%(sequence)s is not the head the server signed: the "
                    "chain was rewritten and its hashes computed again."
                )
                % {"sequence": chain.length},
            )

    def checkpoint_holds(self, checkpoint: AuditChainCheckpoint) -> bool:
        from cms.services.signing import server_verify

        if checkpoint.key_id != self.key_id:
            self.finding(
                checkpoint.handover_id,
                None,
                _(
                    "its checkpoint was signed with key %(key)s, not with the "
                    "server's key %(server_key)s: it cannot be verified."
                )
                % {"key": checkpoint.key_id, "server_key": self.key_id},
            )
            return False
        payload = chain_checkpoint_payload(
            handover_id=checkpoint.handover_id,
            length=checkpoint.length,
            head_hash=checkpoint.head_hash,
        )
        if not server_verify(payload, checkpoint.signature):
            self.finding(
                checkpoint.handover_id,
                None,
                _(
                    "its signed checkpoint (length %(length)s) does not verify: "
                    "the checkpoint was altered or forged."
                )
                % {"length": checkpoint.length},
            )
            return False
        return True

    def handovers_without_events(self):
        for handover_id in sorted(set(self.numbers) - self.seen):
            checkpoint = self.checkpoints.get(handover_id)
            if checkpoint is None:
                message = _(
                    "it has no audit events, though every handover gets one when "
                    "it is started: its whole chain was deleted."
                )
            elif self.checkpoint_holds(checkpoint):
                message = _(
                    "it has no audit events, but its signed checkpoint counts "
                    "%(length)s: its whole chain was deleted."
                ) % {"length": checkpoint.length}
            else:
                continue
            self.finding(handover_id, 1, message)


def _gap(first: int, after: int) -> str:
    if after - 1 == first:
        return _("event #%(first)s was deleted from the middle of the chain.") % {
            "first": first
        }
    return _(
        "events #%(first)s to #%(last)s were deleted from the middle of the chain."
    ) % {"first": first, "last": after - 1}


def checkpoint_time(moment) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i:s T")


def _event_names(event: AuditEvent) -> dict:
    return {"sequence": event.sequence, "id": event.pk, "action": event.action}


def _database_findings(walk: _Walk, checkpoints: list) -> list[Finding]:
    """The database checkpoints: each signed and linked to the one before, and
    the newest against the events found."""
    findings = []
    previous_hash = GENESIS_HASH
    previous_id = None
    for checkpoint in checkpoints:
        names = {"id": checkpoint.pk, "previous": previous_id}
        if checkpoint.key_id != walk.key_id:
            findings.append(
                _(
                    "database checkpoint #%(id)s was signed with key %(key)s, not "
                    "with the server's key %(server_key)s: it cannot be verified."
                )
                % {**names, "key": checkpoint.key_id, "server_key": walk.key_id}
            )
        elif not database_checkpoint_verify(checkpoint):
            findings.append(
                _(
                    "database checkpoint #%(id)s does not verify: it was altered "
                    "or forged."
                )
                % names
            )
        elif checkpoint.previous_hash != previous_hash:
            findings.append(
                _(
                    "database checkpoint #%(id)s does not follow #%(previous)s: "
                    "a checkpoint between them was deleted or altered."
                )
                % names
            )
        previous_hash, previous_id = checkpoint.hash, checkpoint.pk
    if checkpoints:
        newest = checkpoints[-1]
        names = {
            "id": newest.pk,
            "when": checkpoint_time(newest.created_at),
            "events": newest.events,
            "chains": newest.chains,
            "found_events": walk.counted_events,
            "found_chains": walk.counted_chains,
        }
        if walk.counted_events < newest.events or walk.counted_chains < newest.chains:
            findings.append(
                _(
                    "database checkpoint #%(id)s of %(when)s counted %(events)s "
                    "events in %(chains)s chains; of those, %(found_events)s "
                    "events in %(found_chains)s chains remain: events were deleted "
                    "or the table was emptied."
                )
                % names
            )
        elif (
            not walk.newer_events
            and walk.counted_events == newest.events
            and walk.counted_chains == newest.chains
            and walk.heads.hexdigest() != newest.heads_hash
        ):
            findings.append(
                _(
                    "database checkpoint #%(id)s of %(when)s does not match the "
                    "chain heads found: events were replaced."
                )
                % names
            )
    return [Finding("", None, message) for message in findings]


def audit_verify(*, handover_id: int | None = None) -> AuditReport:
    """Verify the whole trail, or one handover's chain. A report without
    findings means every event, chain and checkpoint is as the server wrote
    it (and, for the whole database, nothing it counted has gone)."""
    from cms.services.signing import server_key

    _key, key_id = server_key()
    handovers = Handover.objects.all()
    events = AuditEvent.objects.order_by("handover_id", "sequence")
    chain_checkpoints = AuditChainCheckpoint.objects.all()
    database_checkpoints = []
    if handover_id is not None:
        handovers = handovers.filter(pk=handover_id)
        events = events.filter(handover_id=handover_id)
        chain_checkpoints = chain_checkpoints.filter(handover_id=handover_id)
    else:
        database_checkpoints = list(AuditDatabaseCheckpoint.objects.order_by("pk"))
    walk = _Walk(
        numbers=dict(handovers.values_list("pk", "number")),
        checkpoints={
            checkpoint.handover_id: checkpoint for checkpoint in chain_checkpoints
        },
        last_event_id=(
            database_checkpoints[-1].last_event_id if database_checkpoints else None
        ),
        key_id=key_id,
    )
    for event in events.iterator(chunk_size=_BATCH):
        walk.event(event)
    walk.close()
    walk.handovers_without_events()
    report = walk.report
    report.findings.sort(key=lambda finding: (finding.handover, finding.sequence or 0))
    report.findings += _database_findings(walk, database_checkpoints)
    if database_checkpoints:
        report.database_checkpoint = database_checkpoints[-1]
    return report
