"""Free-text fields shared by every form: a Chinese length refusal that says how long the text
is, and no invisible direction controls (``workflows.text``)."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from workflows.text import bidi_refusal


def limited_text(label, max_length: int, *, required: bool = True, rows: int | None = None, required_message=None):
    """A text field refused beyond ``max_length`` with "审核意见最多 1000 字，现有 1001 字。"."""
    messages = {"max_length": format_lazy("{}{}", label, _("最多 %(limit_value)d 字，现有 %(show_value)d 字。"))}
    if required_message:
        messages["required"] = required_message
    widget = forms.Textarea(attrs={"rows": rows}) if rows else None
    return forms.CharField(
        label=label, max_length=max_length, required=required, widget=widget, error_messages=messages
    )


class BidiRefusingForm(forms.Form):
    """Refuses invisible direction controls in every text field (the text would display reversed)."""

    def clean(self):
        data = super().clean()
        for name, value in list(data.items()):
            if isinstance(value, str) and (refusal := bidi_refusal(self.fields[name].label, value)):
                self.add_error(name, f"{refusal}。")
        return data
