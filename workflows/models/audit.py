"""The append-only audit log. Database triggers refuse UPDATE and DELETE on it."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..labels import label
from .cases import Case, CaseState
from .organisations import Organisation
from .people import Role


class AuditAction(models.TextChoices):
    REGISTER = "register", _("登记造册")
    PAIR = "pair", _("指定培养人")
    ACCEPT = "accept", _("接受结对")
    DECLINE = "decline", _("谢绝结对")
    REPAIR = "repair", _("重新结对")
    SUBMIT = "submit", _("提交审核")
    APPROVE = "approve", _("审核通过")
    FILE = "file", _("市级备案")
    COMPLETE = "complete", _("完成并生成附件2")
    RETURN = "return", _("退回")
    WITHDRAW = "withdraw", _("撤回")
    EXIT = "exit", _("退出")
    PAUSE = "pause", _("暂停")
    RESUME = "resume", _("恢复")
    CLAIM = "claim", _("认领")
    UNCLAIM = "unclaim", _("放回待认领")
    REASSIGN = "reassign", _("改派")
    EDIT = "edit", _("修改资料")
    RECORD = "record", _("培养记录")
    RECORD_CORRECT = "record_correct", _("更正培养记录")
    ISSUE = "issue", _("下发培养任务")
    WORK_SUBMIT = "work_submit", _("提交学期成果")
    WORK_ACCEPT = "work_accept", _("学期成果审阅通过")
    WORK_RETURN = "work_return", _("学期成果退回修改")
    OPINION = "opinion", _("填写培养人意见")
    REMIND = "remind", _("到期提醒")
    OVERDUE = "overdue", _("逾期提醒")
    ESCALATE = "escalate", _("升级督办")
    URGE = "urge", _("催办")
    POLICY = "policy", _("修改培养规则")
    REPORT_OPEN = "report_open", _("开启报表")
    REPORT_SUBMIT = "report_submit", _("报送报表")
    REPORT_ACCEPT = "report_accept", _("接收报表")
    REPORT_RETURN = "report_return", _("退回报表")
    PLAN_SUBMIT = "plan_submit", _("报送年度分解")
    PLAN_APPROVE = "plan_approve", _("调整审批年度分解")
    PLAN_RETURN = "plan_return", _("退回年度分解")
    EXPORT = "export", _("批量导出")
    APPRAISAL = "appraisal", _("登记评优结果")
    ADMISSION = "admission", _("登记入党")
    QUOTA_IMPORT = "quota_import", _("导入三年计划")
    PEOPLE_IMPORT = "people_import", _("导入人员名单")
    ORG_ADD = "org_add", _("新增组织")
    TEACHER_ADD = "teacher_add", _("新增教师")
    TRANSFER = "transfer", _("教师调动")
    ACCOUNT_ADD = "account_add", _("新增账号")
    ACCOUNT_EDIT = "account_edit", _("修改账号")
    PASSWORD_RESET = "password_reset", _("生成初始密码")
    ROLE_GRANT = "role_grant", _("任命角色")
    ROLE_EDIT = "role_edit", _("修改任职")
    ROLE_END = "role_end", _("结束任职")
    LOCKOUT_RELEASE = "lockout_release", _("解除登录锁定")
    API_TOKEN_CREATE = "api_token_create", _("创建 API 令牌")
    API_TOKEN_REVOKE = "api_token_revoke", _("撤销 API 令牌")
    # The approver's day (issue 11).
    FORWARD = "forward", _("转交")
    COUNTERSIGN_ASK = "countersign_ask", _("加签")
    COUNTERSIGN = "countersign", _("加签意见")
    COPY = "copy", _("抄送")
    COPY_REVOKE = "copy_revoke", _("撤销抄送")
    COMMENT = "comment", _("评论")
    REJECT = "reject", _("不予通过")
    DEPUTY_SET = "deputy_set", _("设置代理人")
    DEPUTY_END = "deputy_end", _("结束代理")
    DEPUTY_LAPSE = "deputy_lapse", _("代理到期")
    CALENDAR_EDIT = "calendar_edit", _("调整工作日历")
    # The rest of the programme (issue 12).
    FILE_SAVE = "file_save", _("保存业务档案")
    GOAL_SAVE = "goal_save", _("保存发展目标")
    PAIR_ADD = "pair_add", _("登记结对帮带")
    PAIR_END = "pair_end", _("结束结对帮带")
    PAIR_ACTIVITY = "pair_activity", _("记录帮带活动")
    MEASURE_SUBMIT = "measure_submit", _("提交培养措施")
    MEASURE_REVIEW = "measure_review", _("审核培养措施")
    DEMO_DECLARE = "demo_declare", _("申报示范岗")
    DEMO_DECIDE = "demo_decide", _("认定示范岗")
    LESSON_SCHEDULE = "lesson_schedule", _("安排示范课")
    LESSON_RECORD = "lesson_record", _("记录示范课")
    CONTEST_OPEN = "contest_open", _("发起论文评比")
    CONTEST_JUDGE = "contest_judge", _("聘请评委")
    CONTEST_SCORE = "contest_score", _("论文评分")
    CONTEST_ADVANCE = "contest_advance", _("推进论文评比")
    CONTEST_PUBLISH = "contest_publish", _("公布评比结果")
    BULLETIN_ISSUE = "bulletin_issue", _("签发通报")
    BULLETIN_READ = "bulletin_read", _("签收通报")
    PLAN_START = "plan_start", _("新建三年计划")
    # Reads of the trail, themselves audited (等保 2.0: access to sensitive records). See
    # workflows/services/trail.py.
    TRAIL_VIEW = "trail_view", _("查阅审计轨迹")
    TRAIL_EXPORT = "trail_export", _("导出审计轨迹")
    AUDIT_SEARCH = "audit_search", _("检索审计记录")


# The reads of the trail: kept in the log, shown on the city's 查阅记录 page, and left out of a
# case's own trail (its page, stepper, exports, ``audit_trail``) and of the search, so opening a
# trail never makes it longer.
TRAIL_ACCESS_ACTIONS = (AuditAction.TRAIL_VIEW, AuditAction.TRAIL_EXPORT, AuditAction.AUDIT_SEARCH)


CHANGE_LABELS = {
    "owner": _("承办人"),
    "teacher": _("教师"),
    "kind": _("类别"),
    "note": _("备注"),
    "mentors": _("培养人"),
    "mentor": _("培养人"),
    "released": _("解除的培养人"),
    "left": _("离任培养人"),
    "annex2": _("附件2汇总行"),
    "unit": _("单位"),
    "name": _("姓名"),
    "birth_month": _("出生年月"),
    "year": _("完成年度"),
    "sex": _("性别"),
    "birth_date": _("出生日期"),
    "subject": _("任教学科"),
    "position": _("职务"),
    "party_status": _("政治面貌"),
    "titles": _("职称"),
    "is_backbone": _("骨干教师"),
    "is_famous_principal": _("名校长"),
    "honours": _("荣誉"),
    "org_id": _("所在组织"),
    "record": _("记录编号"),
    "date": _("日期"),
    "content": _("培养内容及成效"),
    "version": _("版本"),
    "tasks": _("下发任务"),
    "cancelled": _("撤销任务"),
    "work": _("学期成果"),
    "title": _("题目"),
    "summary": _("摘要"),
    "file": _("附件"),
    "files": _("附件"),
    "text": _("意见"),
    "task": _("任务"),
    "recipients": _("接收人"),
    "comment": _("评论编号"),
    "comment_text": _("评论内容"),
    "internal": _("可见范围"),
    "on_behalf_of": _("被代理人"),
    "principal": _("被代理人"),
    "deputy": _("代理人"),
    "period": _("代理期限"),
    "returned_tasks": _("交回的任务"),
    "to_stage": _("退回到"),
    "due_at": _("办理期限"),
    "escalated_to": _("升级至"),
    "min_months_1": _("类别1最短培养期（月）"),
    "min_months_2": _("类别2最短培养期（月）"),
    "attachment_max_mb": _("附件大小上限（MB）"),
    "record_every_months": _("培养记录频次（月）"),
    "remind_before_days": _("到期前提醒天数"),
    "escalate_after_days": _("逾期升级天数"),
    "source_name": _("导入文件"),
    "sha256": _("文件摘要"),
    "plan_years": _("计划年度"),
    "rows": _("单位数"),
    "totals": _("合计（按各行计算）"),
    "inconsistencies": _("合计不一致"),
    # 三年计划 (issue 12): the start of a plan and the city-wide check at approval.
    "plan": _("三年计划编号"),
    "plan_source": _("计划数来源"),
    "copied_from": _("复制自计划编号"),
    "city_check": _("全市年度合计核对"),
    "adjusted": _("调整"),
    "appraisal_year": _("评优年度"),
    "result": _("评优结果"),
    "party_member": _("评定时为党员"),
    "admitted_on": _("入党日期"),
    "staff_no": _("教师编号"),
    "planned_kind": _("拟列入类别"),
    "org": _("所在组织"),
    "parent": _("上级组织"),
    "organisation": _("组织"),
    "username": _("用户名"),
    "full_name": _("账号姓名"),
    "email": _("电子邮箱"),
    "role": _("角色"),
    "start_date": _("任职开始日期"),
    "end_date": _("任职结束日期"),
    "counts": _("导入数量"),
    "ip_address": _("登录地址"),
    "failures": _("失败次数"),
    "cleared_ip_address": _("同时清除的登录地址失败次数"),
    "cleared_username": _("同时清除的账号失败次数"),
    "also_unlocked_ip_address": _("一并解除锁定的登录地址"),
    "also_unlocked_username": _("一并解除锁定的账号"),
    # The trail's reads (TRAIL_VIEW, TRAIL_EXPORT, AUDIT_SEARCH).
    "format": _("导出格式"),
    "step": _("查看步骤"),
    "filters": _("检索条件"),
    "school": _("学校"),
    "actor": _("操作人"),
    "action": _("操作"),
    "stage": _("阶段"),
    "date_from": _("起始日期"),
    "date_to": _("截止日期"),
    # 转交 / 加签 (workflows/services/forwarding.py).
    "countersign_to": _("加签给"),
    "countersign_position": _("加签方式"),
    "countersign_task": _("加签任务"),
    "agree": _("同意"),
    "asked_by": _("加签发起人"),
    "after": _("后加签发起人"),
    # 示范岗 and 示范课 (workflows/services/demo.py).
    "demo_post": _("示范岗编号"),
    "commitment": _("承诺与服务标准"),
    "state": _("状态"),
    "lesson": _("示范课编号"),
    "guest_name": _("校外授课人"),
    "scheduled_for": _("上课时间"),
    "place": _("地点"),
    "attendees": _("听课人数"),
    "lesson_record": _("开课记录"),
    # 双培论文评比 (workflows/services/contest.py).
    "contest": _("评比"),
    "entries": _("收录论文数"),
    "entries_added": _("新收录论文数"),
    "judge": _("评委"),
    "level": _("评审级别"),
    "code": _("匿名编号"),
    "score": _("得分"),
    "advanced": _("推荐参加市级评审"),
    "award": _("奖项"),
    # 结对帮带 and 培养措施 (workflows/services/pairs.py).
    "pair": _("结对编号"),
    "pair_kind": _("帮带形式"),
    "senior": _("帮带人"),
    "junior": _("被帮带人"),
    "focus": _("帮带内容"),
    "goals": _("帮带目标"),
    "started_on": _("结对日期"),
    "ended_on": _("结束日期"),
    "activity": _("活动编号"),
    "activity_form": _("活动形式"),
    "activity_content": _("活动内容及成效"),
    "measure": _("培养措施编号"),
    "measure_text": _("培养教育的具体措施"),
    "measure_status": _("培养措施状态"),
    # 一人一档 (workflows/services/files.py).
    "professional_file": _("业务档案编号"),
    "surveyed_on": _("摸底日期"),
    "survey_level": _("摸底结论"),
    "strengths": _("业务特长"),
    "weaknesses": _("不足与需求"),
    "target": _("培养方向"),
    "achieved": _("已达成"),
    "achieved_on": _("达成日期"),
    "goal": _("目标编号"),
    "goal_title": _("发展目标"),
    "due_on": _("计划完成日期"),
    "goal_done_on": _("实际完成日期"),
    "evidence": _("完成情况"),
    # 半年通报 (签发, 签收)
    "doc_no": _("文号"),
    "half": _("半年"),
    "units": _("送达单位数"),
    "notified": _("通知人数"),
    "verification_code": _("核验码"),
}


# Changes whose value is a list of items, not an [old, new] pair.
LIST_VALUES = (
    "mentors",
    "released",
    "files",
    "tasks",
    "cancelled",
    "recipients",
    "inconsistencies",
    "returned_tasks",
    "focus",
    "city_check",
)

# Who acted, when it was not by a role held at an organisation.
EXTRA_ROLE_LABELS = {"mentor": _("培养人"), "trainee": _("培养对象"), "system": _("系统")}


class AuditEvent(models.Model):
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人姓名"), max_length=150)
    role = models.CharField(_("身份"), max_length=20, blank=True)
    org = models.ForeignKey(
        Organisation,
        verbose_name=_("所在组织"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    case = models.ForeignKey(
        Case,
        verbose_name=_("培养案例"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="events",
    )
    task_id_ref = models.BigIntegerField(_("任务编号"), null=True, blank=True)
    action = models.CharField(_("操作"), max_length=20, choices=AuditAction.choices)
    from_state = models.CharField(_("原阶段"), max_length=20, blank=True)
    to_state = models.CharField(_("新阶段"), max_length=20, blank=True)
    reason = models.TextField(_("理由"), blank=True)
    changes = models.JSONField(_("变更内容"), default=dict, blank=True)
    # The hash chain (workflows/chain.py): a gapless sequence, the previous event's hash and this
    # event's hash over its canonical serialisation; ``evidence`` names the rows the event wrote
    # ([{"table", "id", "sha256"}]) so that changing such a row breaks verification.
    seq = models.PositiveBigIntegerField(_("序号"), unique=True)
    prev_hash = models.CharField(_("前一事件摘要"), max_length=64)
    hash = models.CharField(_("事件摘要"), max_length=64)
    evidence = models.JSONField(_("证据摘要"), default=list, blank=True)

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["case", "at", "id"], name="audit_case_order"),
            models.Index(fields=["task_id_ref"], name="audit_task"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.get_action_display()}"

    @property
    def action_label(self) -> str:
        """``get_action_display()``, translated once per language (workflows/labels.py)."""
        return label(AuditAction, self.action)

    @property
    def from_state_label(self) -> str:
        return label(CaseState, self.from_state)

    @property
    def to_state_label(self) -> str:
        return label(CaseState, self.to_state)

    @property
    def changes_text(self) -> str:
        """The changed data in words: 「承办人：— → school_officer；培养人：张建国、陈丽华」; yes/no
        values read 是 / 否, never True / False."""

        def word(v):
            if isinstance(v, bool):
                return str(_("是") if v else _("否"))
            return v

        parts = []
        for key, value in (self.changes or {}).items():
            if key in ("auto", "hand_back"):
                parts.append(str(_("办理时自动认领") if key == "auto" else _("退回或撤回后交回原办理人")))
                continue
            name = label(CHANGE_LABELS, key)
            if key == "to_stage" and value in CaseState.values:
                value = label(CaseState, value)
            if isinstance(value, list) and len(value) == 2 and key not in LIST_VALUES:
                old, new = (word(v) for v in value)
                old = old if old not in (None, "") else "—"
                new = new if new not in (None, "") else "—"
                parts.append(f"{name}：{old} → {new}")
            elif isinstance(value, list):
                parts.append(f"{name}：{'、'.join(map(str, value)) or '—'}")
            elif isinstance(value, dict):
                inner = "，".join(f"{label(CHANGE_LABELS, k)} {v}" for k, v in value.items())
                parts.append(f"{name}：{inner}")
            else:
                value = word(value)
                parts.append(f"{name}：{value if value not in (None, '') else '—'}")
        return "；".join(parts)

    @property
    def role_label(self) -> str:
        return role_label(self.role)


def role_label(role: str) -> str:
    """The words for who acted: a role's label, 培养人 / 培养对象 / 系统, or the value itself."""
    if role in EXTRA_ROLE_LABELS:
        return label(EXTRA_ROLE_LABELS, role)
    return label(Role, role)


class AuditChainHead(models.Model):
    """The chain's newest (seq, hash): one row, locked by every append (the writers' queue)."""

    seq = models.PositiveBigIntegerField(_("序号"), default=0)
    hash = models.CharField(_("事件摘要"), max_length=64)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")


class AuditCheckpoint(models.Model):
    """A signed (seq, head hash, time), written by ``tick``: an anchor an insider cannot recompute.

    The HMAC-SHA256 key is outside the database (env AUDIT_SIGNING_KEY or var/audit_key).
    """

    seq = models.PositiveBigIntegerField(_("序号"))
    head_hash = models.CharField(_("链头摘要"), max_length=64)
    at = models.DateTimeField(_("时间"))
    signature = models.CharField(_("签名"), max_length=64)

    class Meta:
        verbose_name = _("审计检查点")
        verbose_name_plural = _("审计检查点")
        ordering = ["seq", "id"]

    def __str__(self) -> str:
        return f"A-{self.seq:06d}-{self.head_hash[:12]}"
