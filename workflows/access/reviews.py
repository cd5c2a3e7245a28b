"""The reviews' two ways of saying no (issue 11): 退回到指定步骤 and 不予通过.

What the programme's rules restrict, and why:
- 退回 goes back to 培养中 at the earliest (``RETURN_TARGETS``): pairing and the mentors'
  acceptance are not re-done by a review (更换培养人 is the case page's action for that), and a
  review can only send the case to a step that happened before it.
- 不予通过 ends a case at 支部审核 or 单位审核 only (``REJECT_STATES``): 市级备案 files what the
  unit passed; the city that disagrees 退回 to the step that must correct it.
"""

from django.utils.translation import gettext as _

from ..errors import GuardError
from ..models.cases import REJECT_STATES, RETURN_TARGETS, CaseState
from .tasks import check_act, may


def _review_nodes():
    from ..flows import CaseFlow

    return (CaseFlow.branch_review, CaseFlow.unit_review, CaseFlow.city_filing)


def _reject_nodes():
    from ..flows import CaseFlow

    return (CaseFlow.branch_review, CaseFlow.unit_review)


def _targets(task) -> tuple[str, ...]:
    if task.flow_task not in _review_nodes():
        return ()
    return RETURN_TARGETS.get(task.case.state, ())


def return_targets(user, task) -> tuple[str, ...]:
    """The steps ``user`` may 退回 ``task``'s case to, nearest first; empty when they may not."""
    if not may(check_act, user, task):
        return ()
    return _targets(task)


def check_return_target(actor, task, target: str | None) -> str:
    """The step a 退回 lands on: ``target``, or one step back when none was chosen."""
    check_act(actor, task)
    allowed = _targets(task)
    if not allowed:
        raise GuardError(_("此操作不适用于“%(title)s”任务。") % {"title": task.flow_task.task_title})
    if not target:
        return allowed[0]
    if target not in allowed:
        raise GuardError(
            _("只能退回到：%(steps)s。请从列表中重新选择。")
            % {"steps": "、".join(str(CaseState(s).label) for s in allowed)}
        )
    return target


def check_reject(actor, task) -> None:
    """不予通过: the holder of 支部审核 or 单位审核 ends the case."""
    check_act(actor, task)
    if task.flow_task in _reject_nodes() and task.case.state in REJECT_STATES:
        return
    from ..flows import CaseFlow

    if task.flow_task == CaseFlow.city_filing:
        raise GuardError(
            _("市级备案是对单位审核通过的案例备案，不能“不予通过”。如有问题，请“退回”到需要更正的步骤并写明理由。")
        )
    raise GuardError(
        _("“%(title)s”任务不能“不予通过”，只有支部审核和单位审核可以。") % {"title": task.flow_task.task_title}
    )


def may_reject(actor, task) -> bool:
    return may(check_reject, actor, task)
