"""Complaint data into policy: at resolution the unit tags what failed and whether the complaint was substantiated.

The tags are the regulation's list (Perbup 4/2022 §2.1.5): procedure or process, facilities, cost,
and the competence or behaviour of staff. They are given with the follow-up (the ``respond`` action)
and kept twice: in the ``respond`` audit event, as history, and in :class:`ComplaintFinding`, the
latest word, which the indicators count per OPD and the improvement commitments answer.
"""

from datetime import datetime

from sop import Sop
from workflow.db import db
from workflow.domain.rules import Actor
from workflow.domain.states import Action
from workflow.models import Complaint, ComplaintFinding
from workflow.services import inputs


def respond(complaint_id: int, actor: Actor, now: datetime, params: inputs.Respond) -> Complaint:
    """Post the unit's follow-up, with what failed and whether it was substantiated; the confirmation window opens."""
    # actions.py lists this use case in its registry, so it is imported here, when the action runs.
    from workflow.services.actions import _transition

    def mutate(complaint: Complaint, sop: Sop) -> dict:
        if not params.failures and params.substantiated is None:
            return {}  # a later follow-up without tags keeps what the unit said before
        finding = db.session.get(ComplaintFinding, complaint.id) or ComplaintFinding(complaint_id=complaint.id)
        for kind in inputs.FAILURE_KINDS:
            setattr(finding, kind, kind in params.failures)
        finding.substantiated = params.substantiated
        finding.unit_id, finding.recorded_at, finding.recorded_by_id = complaint.unit_id, now, actor.user_id
        db.session.add(finding)
        return {"failures": list(params.failures), "substantiated": params.substantiated}

    return _transition(complaint_id, Action.respond, actor, now, params, mutate)

