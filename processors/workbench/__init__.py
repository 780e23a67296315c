"""The exception workbench's pure core: the lifecycle of a business exception under operators' actions."""
from processors.workbench.lifecycle import (
    CLOSED, KNOWN_ACTIONS, LIFECYCLE_ACTIONS, Audited, CaseState, ExceptionCase, HistoryEntry, OperatorAction, Raised,
    act, raise_case, refusal)
from processors.workbench.records import from_record, to_record

__all__ = ["CLOSED", "KNOWN_ACTIONS", "LIFECYCLE_ACTIONS", "Audited", "CaseState", "ExceptionCase", "HistoryEntry",
           "OperatorAction", "Raised", "act", "from_record", "raise_case", "refusal", "to_record"]
