"""Who may see and do what: the one home of the engine's permission rules (issue 11).

Services call the ``check_*`` functions to refuse (each raises the ``GuardError`` that says why,
in Chinese); views, templates and the API ask the ``may_*`` functions (booleans) for their
buttons. No view or template re-derives a rule. Scope (which cases and tasks a user can see at
all) is ``workflows.selectors``; which fields they see is ``workflows.visibility``.

One module per subject:
- ``tasks``: acting on a task, claiming, releasing, 改派, 催办, managing a case.
- ``approvals``: 转交, 加签, 抄送, 评论.
- ``reviews``: 退回到指定步骤, 不予通过.
- ``deputies``: 代理人 (who acts for whom, and who may name one).
- ``bulk``: which tasks may be approved together.
- ``demo``: 示范岗 (申报备案, 授牌认定) and 示范课, with their scoped reads (issue 12).
- ``contest``: 双培论文评比 (who runs it, who judges what, who reads the results; issue 12).
- ``files``: 一人一档 (who reads and who keeps a party-member teacher's 业务档案; issue 12).
- ``pairs``: 结对帮带 (老人带新人, 骨干带党员, their activities) and the case's 培养措施 (issue 12).
"""

from . import (
    contest,  # 双培论文评比 (issue 12)
    demo,
    files,  # 一人一档 (issue 12)
    pairs,  # 结对帮带 and 培养措施 (issue 12)
)
from .bulk import (
    BULK_LIMIT,
    check_bulk_batch,
    check_bulk_item,
    check_quick_approve,
    may_bulk_approve,
    may_quick_approve,
    needs_no_input,
    opened_task_ids,
)
from .copies import (
    MAX_RECIPIENTS,
    check_comment,
    check_copy,
    check_copy_revoke,
    check_copy_to,
    comment_is_internal,
    copy_recipients,
    may_comment,
    may_copy,
    may_revoke_copy,
)
from .deputies import acting_for, check_can_end_deputy, check_can_set_deputy, may_end_deputy, may_name_deputies
from .forwarding import (
    check_countersign_answer,
    check_countersign_ask,
    check_countersign_clear,
    check_forward,
    may_answer_countersign,
    may_countersign,
    may_forward,
)
from .reviews import check_reject, check_return_target, may_reject, return_targets
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
    "comment_is_internal",
    "demo",
    "contest",
    "pairs",
    "files",
    "acting_for",
    "check_can_end_deputy",
    "check_can_set_deputy",
    "may_end_deputy",
    "may_name_deputies",
    "MAX_RECIPIENTS",
    "check_comment",
    "check_copy",
    "check_copy_revoke",
    "check_copy_to",
    "copy_recipients",
    "may_comment",
    "may_copy",
    "may_revoke_copy",
    "check_countersign_answer",
    "check_countersign_ask",
    "check_countersign_clear",
    "check_forward",
    "may_answer_countersign",
    "may_countersign",
    "may_forward",
    "BULK_LIMIT",
    "check_bulk_batch",
    "check_bulk_item",
    "check_quick_approve",
    "may_bulk_approve",
    "may_quick_approve",
    "needs_no_input",
    "opened_task_ids",
    "check_act",
    "check_case_manager",
    "check_claim",
    "check_reject",
    "check_return_target",
    "check_not_own_case",
    "check_supervise",
    "check_unclaim",
    "check_urge",
    "may",
    "may_act",
    "may_claim",
    "may_reject",
    "may_supervise",
    "may_unclaim",
    "may_urge",
    "return_targets",
]
