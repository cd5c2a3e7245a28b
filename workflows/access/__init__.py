"""Who may see and do what: the one home of the engine's permission rules (issue 11).

Services call the ``check_*`` functions to refuse (each raises the ``GuardError`` that says why,
in Chinese); views, templates and the API ask the ``may_*`` functions (booleans) for their
buttons. No view or template re-derives a rule. Scope (which cases and tasks a user can see at
all) is ``workflows.selectors``; which fields they see is ``workflows.visibility``.

One module per subject:
- ``tasks``: acting on a task, claiming, releasing, 改派, 催办, managing a case.
- ``approvals``: 转交, 加签, 抄送, 评论, 退回到指定步骤, 不予通过.
- ``deputies``: 代理人 (who acts for whom, and who may name one).
- ``bulk``: which tasks may be approved together.
"""

from .tasks import (
    check_act,
    check_case_manager,
    check_claim,
    check_not_own_case,
    check_supervise,
    check_unclaim,
    check_urge,
    may,
    may_act,
    may_claim,
    may_supervise,
    may_unclaim,
    may_urge,
)

__all__ = [
    "check_act",
    "check_case_manager",
    "check_claim",
    "check_not_own_case",
    "check_supervise",
    "check_unclaim",
    "check_urge",
    "may",
    "may_act",
    "may_claim",
    "may_supervise",
    "may_unclaim",
    "may_urge",
]
