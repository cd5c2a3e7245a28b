"""抄送 and 评论 on a task: what the two forms on the task page accept."""

from django import forms
from django.utils.translation import gettext_lazy as _

from workflows.access import MAX_RECIPIENTS

from .text import BidiRefusingForm, limited_text


class CopyForm(BidiRefusingForm):
    """抄送: the people (from the chooser of those a copy may go to) and an optional note."""

    recipients = forms.TypedMultipleChoiceField(
        label=_("抄送对象"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("请选择抄送对象。"),
            "invalid_choice": _("所选的人不在可抄送的名单中（须是本案例所属单位或上级组织的干部），请重新选择。"),
        },
    )
    note = limited_text(_("抄送说明"), 500, required=False, rows=2)

    def __init__(self, *args, choices=(), **kwargs):
        kwargs.setdefault("auto_id", "id_copy_%s")
        super().__init__(*args, **kwargs)
        self.fields["recipients"].choices = list(choices)

    def clean_recipients(self):
        chosen = self.cleaned_data["recipients"]
        if len(chosen) > MAX_RECIPIENTS:
            raise forms.ValidationError(
                _("一次最多抄送 %(max)d 人，您选择了 %(n)d 人，请分批抄送。"),
                params={"max": MAX_RECIPIENTS, "n": len(chosen)},
            )
        return chosen


class CommentForm(BidiRefusingForm):
    """评论: the text (the files come as ``files`` and are checked by the attachments service)."""

    text = limited_text(_("评论内容"), 1000, rows=3, required_message=_("请填写评论内容。"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_comment_%s")
        super().__init__(*args, **kwargs)
