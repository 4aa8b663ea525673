"""A company at enterprise scale, for benchmarks: ``manage.py seed_scale``.

The data is what Baton's services write when people use it — handovers started
from published templates, their participants and object permissions, items,
item versions, questions, signatures, the hash-chained audit trail and the
connector sync state — for a company of ``employees`` people with ``handovers``
handovers in mixed states.

Running 600,000 items through the services one call at a time would take hours,
so each handover is first *planned* (who does what, in which order), then the
plan is *played* by :class:`Player`, which builds each row with the services'
own helpers and meets the refusals the services would raise, and the rows are
copied into PostgreSQL in bulk (``COPY``). ``tests/test_seed_scale.py`` plays
the same plans through the real services and checks that both write the same
rows, hashes included, and that every audit chain and server signature
verifies.

Everything is derived from the seed: a second run with the same seed and sizes
finds its marker (the root department) and does nothing.

The modules, in the order a seed uses them: :mod:`.spec` (sizes, and finding
a seeded company), :mod:`.company` (people and the org chart),
:mod:`.connector_data` (the connectors, the only module that imports
``connectors``), :mod:`.templates`, :mod:`.plans`, :mod:`.player` with
:mod:`.item_actions` and :mod:`.replica` (the services played in memory),
:mod:`.bulk` (ids and ``COPY``) and :mod:`.seeding` (all of it, in order).
"""

from .bulk import COPY_ORDER, Copier, Ids, Rows, reset_sequences, table_ids
from .plans import HandoverPlan
from .player import Player
from .replica import PlanRefused
from .seeding import Prepared, play, prepare, seed_scale, written_models
from .spec import (
    BENCH_PASSWORD,
    BENCH_SUCCESSOR_HANDOVERS,
    ScaleInfo,
    ScaleSpec,
    find_scale,
)
from .templates import TemplateInfo, publish_template, template_body, template_items

__all__ = [
    "BENCH_PASSWORD",
    "BENCH_SUCCESSOR_HANDOVERS",
    "COPY_ORDER",
    "Copier",
    "HandoverPlan",
    "Ids",
    "PlanRefused",
    "Player",
    "Prepared",
    "Rows",
    "ScaleInfo",
    "ScaleSpec",
    "TemplateInfo",
    "find_scale",
    "play",
    "prepare",
    "publish_template",
    "reset_sequences",
    "seed_scale",
    "table_ids",
    "template_body",
    "template_items",
    "written_models",
]
