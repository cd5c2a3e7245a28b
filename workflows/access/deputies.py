"""代理人: who acts for whom on a task, and who may name or end a deputy (issue 11).

A role holder, or someone holding an acting role at a strictly higher organisation, names a
deputy for a period. During it the deputy holds the principal's own acting roles inside the
arrangement's organisation (``selectors.deputised_assignments``, marked ``acting_for``), so
scope, 待认领 and "may act" follow without a rule of their own. Here:

- ``acting_for``: whose deputy the actor is when acting on a task (the trail's "李四（代张三）");
- ``check_deputy_task``: a deputy does not act, as a deputy, on a case they mentor (回避; the
  trainee's own case is refused for everyone by ``tasks.check_not_own_case``);
- ``check_can_set`` / ``check_deputy_candidate`` / ``check_can_end``: naming and ending.

Naming and ending look only at roles held in one's own right (``selectors.own_assignments``):
a deputy cannot hand on, or end, what they only hold for someone else.
"""

from django.utils.translation import gettext as _

from ..errors import GuardError, NotInScope, NotPermitted
from ..models import CaseMentor, Organisation
from ..models.people import ACTING_ROLES
from ..selectors import ACTIVE_MENTOR, own_assignments, user_assignments

# The longest arrangement, first and last day included.
MAX_DEPUTY_DAYS = 90


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _borrowed(actor):
    return [a for a in user_assignments(actor) if getattr(a, "acting_for", None) is not None]


def acting_for_role(actor, role: str, org: Organisation | None):
    """The principal for whom ``actor`` holds ``role`` at ``org`` only as their 代理人; None when
    they hold it themself (or not at all)."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not role or org is None:
        return None
    if any(a.role == role and a.org_id == org.pk for a in own_assignments(actor)):
        return None
    for a in _borrowed(actor):
        if a.role == role and a.org_id == org.pk:
            return a.acting_for
    return None


def principal_owner(actor, task):
    """The task's owner, when it is a principal ``actor`` deputises for in the task's role."""
    if actor is None or not task.role or not task.owner_id or task.owner_id == actor.pk:
        return None
    for a in _borrowed(actor):
        if a.acting_for.pk == task.owner_id and a.role == task.role and a.org_id == task.org_id:
            return a.acting_for
    return None


def acting_for(actor, task):
    """Whom ``actor`` acts for on ``task``: the owner they deputise for, or the principal through
    whom alone they hold the step's role. None: they act in their own right."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return principal_owner(actor, task) or acting_for_role(actor, task.role, task.org)


def check_deputy_task(actor, task) -> None:
    """回避 for a deputy: not on a case they mentor (the principal's other holders handle it)."""
    principal = acting_for(actor, task)
    if principal is None:
        return
    if CaseMentor.objects.filter(case_id=task.case_id, teacher__user=actor, status__in=ACTIVE_MENTOR).exists():
        raise NotPermitted(
            _("您是该案例的培养人，须回避，不能代%(who)s办理其中的“%(title)s”；请由本组织其他负责人办理。")
            % {"who": _name(principal), "title": task.flow_task.task_title}
        )


# --- naming and ending a deputy ------------------------------------------------------------


def _acting(user):
    return [a for a in own_assignments(user) if a.role in ACTING_ROLES]


def may_name_deputies(user) -> bool:
    """The 代理人 page's form: anyone holding an acting role in their own right."""
    return bool(_acting(user))


def check_can_use_page(user) -> None:
    if not _acting(user) and not _borrowed(user):
        raise NotPermitted(_("代理人设置仅向在任的党务干部、支部书记、审核人和市级管理员开放；您没有在任的办理角色。"))


def _unit_key(org: Organisation) -> int:
    """The 单位 an organisation belongs to (the city is its own)."""
    return org.unit_id or org.pk


def check_can_set(actor, principal):
    """Whether ``actor`` may name a deputy for ``principal``: the arrangement's organisation and
    the actor's assignment they do it in.

    The principal themself (their topmost acting role's organisation), or someone holding an
    acting role strictly above one of the principal's (the topmost such organisation).
    404 when the principal is nowhere in the actor's subtree, 403 for a colleague in scope.
    """
    held = sorted(_acting(principal), key=lambda a: (len(a.org.path), a.org.path))
    if principal.pk == actor.pk:
        if not held:
            raise NotPermitted(_("您没有在任的办理角色，无需指定代理人。"))
        return held[0].org, held[0]
    mine = _acting(actor)
    for a in held:
        for m in mine:
            if a.org.path.startswith(m.org.path) and a.org.path != m.org.path:
                return a.org, m
    in_scope = any(
        org_path.startswith(m.org.path)
        for org_path in [a.org.path for a in own_assignments(principal)]
        for m in own_assignments(actor)
    )
    if not in_scope:
        raise NotInScope(_("未找到该用户，或其不在您的管辖范围内。"))
    if not held:
        raise GuardError(
            _("%(who)s 目前没有在任的党务干部、支部书记、审核人或市级管理员角色，无需指定代理人。")
            % {"who": _name(principal)}
        )
    raise NotPermitted(_("只有本人或上级组织的负责人可以为%(who)s指定代理人。") % {"who": _name(principal)})


def check_deputy_candidate(actor, principal, deputy, org: Organisation) -> None:
    """Who may be named: an active account, not the principal, not the one naming (unless they
    name for themself: that is the principal), holding an acting role in the principal's 单位."""
    if deputy is None or not deputy.is_active:
        raise GuardError(_("未找到该代理人的在用账号，请核对用户名。"))
    if deputy.pk == principal.pk:
        raise GuardError(_("代理人不能是被代理人本人，请另选一位同事。"))
    if deputy.pk == actor.pk:
        raise GuardError(_("不能指定自己为代理人；请由%(who)s本人或另一位负责人指定。") % {"who": _name(principal)})
    unit = _unit_key(org)
    if not any(_unit_key(a.org) == unit for a in _acting(deputy)):
        unit_name = org.unit.name if org.unit_id else org.name
        raise GuardError(
            _("代理人须是%(unit)s在任的党务干部、支部书记、审核人或市级管理员；%(who)s 不符合，请另选。")
            % {"unit": unit_name, "who": _name(deputy)}
        )


def check_can_end(actor, arrangement) -> None:
    """提前结束: the principal, or an acting role strictly above the arrangement's organisation.

    The deputy (or anyone else who can see it) hears 403; anyone else 404.
    """
    if arrangement.ended_at or arrangement.lapsed_at:
        from ..errors import AlreadyHandled

        raise AlreadyHandled(_("该代理安排已经结束，无需再次操作。请刷新页面。"))
    if arrangement.principal_id == actor.pk:
        return
    path = arrangement.org.path
    if any(path.startswith(m.org.path) and path != m.org.path for m in _acting(actor)):
        return
    if arrangement.deputy_id == actor.pk or arrangement.created_by_id == actor.pk:
        raise NotPermitted(_("只有被代理人本人或上级组织的负责人可以提前结束代理。"))
    raise NotInScope(_("未找到该代理安排，或它不在您的管辖范围内。"))


def may_end(actor, arrangement) -> bool:
    try:
        check_can_end(actor, arrangement)
    except GuardError:
        return False
    return True


# The names the package exports (``workflows.access``), saying what they are about.
check_can_set_deputy = check_can_set
check_can_end_deputy = check_can_end
may_end_deputy = may_end
