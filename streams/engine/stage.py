"""A stage is one owner of work in the worker: the records of its input topics, its tables, its outputs."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from streams.engine.emitter import Emitter
from streams.engine.records import InputRecord
from streams.engine.state import ChangelogTable


class Stage(Protocol):
    name: str
    input_topics: tuple[str, ...]
    # In the order their changelogs must become durable: a later table's state may refer to an earlier one's (the
    # engine acknowledges each before producing the next; the order owner declares its ERP outbox before its orders).
    tables: tuple[ChangelogTable, ...]  # type: ignore[type-arg]

    def process(self, records: Sequence[InputRecord], out: Emitter) -> None:
        """Handle one batch of this stage's records (in consumed order per partition).

        Must not raise on bad input: such records become dead letters or exceptions with a reason. Writes go to
        ``tables`` (buffered) and ``out``; the worker commits both with the offsets.
        """

    # Optional: ``before_acknowledgements()``, called once the batch is processed, before its outputs and changelog
    # are acknowledged — for views whose entries carry a per-key version that every fact advances by one, written
    # by a guard that keeps a newer version and overwrites the same version with other figures (the availability
    # snapshot). Earlier by the two acknowledgements, such a view may show a batch a crash then applies again: the
    # replay advances the same keys through the same versions from the same facts, the same figures are left
    # alone and figures a different interleaving of sources gave are written over (keys for which a fact may pass
    # without a version, the stage holds for after_commit). The worker looks it up with getattr; stages without it
    # write their views in after_commit.

    def after_commit(self) -> None:
        """Called once the batch's outputs are acknowledged and its state persisted, before its offsets are
        committed (at-least-once): write derived views (Redis) here. A crash before the offset commit redelivers
        the batch; a stage that finds a redelivered fact already applied must stage that key's view again, since
        this flush may not have happened.

        A stage whose views could not be written (Redis down) may say so with ``offsets_committable = False``
        until it has covered them durably (e.g. a marker in its changelog): the worker then leaves the batch's
        offsets uncommitted, so a crash redelivers it."""
