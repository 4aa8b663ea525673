"""Erasure that keeps every hash verifiable: per data class for finished
handovers (``erase``, called by the nightly retention run) and for one person
on request (``erase_person``, called when HR carries out an erasure request).

Personal data goes (or becomes a pseudonym, ``pseudonyms``); what the hashes
cover stays as hashes: audit events and signatures in format 2 hash a salted
digest of their personal fields (``cms.services.audit.chain``,
``cms.services.signing``), a certificate keeps its code, root hash and PDF
hash when its PDF is deleted. ``verify_audit``, ``signature_verify``, the
verify page and ``cms.backup.checks.certificate_problems`` pass afterwards.
Each data class and what it erases: ``erasers``."""

from .classes import PERSON_RECORD, DataClass
from .erasers import ERASED_ACTION
from .pseudonyms import handover_pseudonyms, is_pseudonym, pseudonym_label
from .service import ErasureRefused, erase, erase_person

__all__ = [
    "ERASED_ACTION",
    "PERSON_RECORD",
    "DataClass",
    "ErasureRefused",
    "erase",
    "erase_person",
    "handover_pseudonyms",
    "is_pseudonym",
    "pseudonym_label",
]
