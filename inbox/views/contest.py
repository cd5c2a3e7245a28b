"""双培论文评比: the overview (the city's and each unit's: entries, judges, stage actions,
results) and the judge's anonymous list with its score forms; the paper's file by its code."""

import re
import zipfile
from io import BytesIO

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from pypdf import PdfReader, PdfWriter

from forms.contest import ContestOpenForm, ContestStageForm, JudgeForm, RecommendForm, ScoreForm
from forms.people import first_error
from workflows.access import contest as rules
from workflows.errors import GuardError, NotInScope
from workflows.models.attachments import FileKind
from workflows.models.programme import ContestEntry, ContestScore, ContestState, JudgeLevel, PaperContest
from workflows.services import contest as svc
from workflows.services.attachments import open_attachment

from .common import done, file_response, guarded, post_only


def _overview_url(contest: PaperContest | None = None) -> str:
    url = reverse("inbox:contest")
    return f"{url}?year={contest.year}" if contest else url


def _selected(request, contest_id: int | None) -> PaperContest | None:
    if contest_id is not None:
        contest = PaperContest.objects.filter(pk=contest_id).first()
        if contest is None:
            raise NotInScope(_("未找到该论文评比。"))
        return contest
    year = (request.GET.get("year") or "").strip()
    if year.isdigit():
        found = PaperContest.objects.filter(year=int(year)).first()
        if found is not None:
            return found
    return PaperContest.objects.order_by("-year").first()


def _unit_panels(user, contest: PaperContest, bound: dict) -> list[dict]:
    """Each unit the user is 审核人 of: its entries by code with their live mean, and (during
    单位评审) the recommendation form."""
    panels = []
    means = svc.unit_means(contest)
    for unit in rules.reviewer_units(user):
        entries = list(contest.entries.filter(unit=unit).order_by("code"))
        for e in entries:
            e.mean = means.get(e.pk)
        choices = [(e.pk, e.code) for e in entries]
        form = bound.get(unit.pk)
        if form is None and contest.state == ContestState.UNIT_JUDGING:
            form = RecommendForm(
                initial={"unit": unit.pk, "entries": [e.pk for e in entries if e.advanced]}, choices=choices
            )
        panels.append(
            {
                "unit": unit,
                "entries": entries,
                "limit": rules.advance_limit(len(entries)),
                "form": form if contest.state == ContestState.UNIT_JUDGING else None,
            }
        )
    return panels


def _page(request, contest_id: int | None = None, *, error="", status=200, **forms):
    user = request.user
    rules.check_can_read(user)
    contest = _selected(request, contest_id)
    can_run = rules.may_run(user)
    context = {
        "contests": PaperContest.objects.order_by("-year"),
        "contest": contest,
        "can_run": can_run,
        "error": error,
        "open_form": forms.get("open_form") or (ContestOpenForm() if can_run else None),
        "bands": svc.AWARD_BANDS,
    }
    if contest is not None:
        published = contest.state == ContestState.PUBLISHED
        entries = list(rules.entries_for(user, contest))
        # Live means only to the city while judging runs (a judge who also reads this page must
        # not see the others' marks before scoring); everyone in scope once the stage is over.
        unit_over = contest.state in (ContestState.CITY_JUDGING, ContestState.PUBLISHED)
        unit_means = svc.unit_means(contest) if can_run and not unit_over else {}
        city_means = svc.city_means(contest) if can_run and not published else {}
        for e in entries:
            e.unit_mean = e.unit_score if unit_over else unit_means.get(e.pk)
            e.city_mean = e.city_score if published else city_means.get(e.pk)
        reviewer_units = rules.reviewer_units(user)
        judge_form = forms.get("judge_form")
        if judge_form is None and rules.may_manage_judges(user, contest):
            level = JudgeLevel.CITY if can_run else JudgeLevel.UNIT
            judge_form = JudgeForm(initial={"level": level, "unit": reviewer_units[0].pk if reviewer_units else None})
        stage_next = rules.NEXT_STAGE.get(contest.state)
        context.update(
            {
                "published": published,
                "entries": entries,
                "judges": list(rules.judges_for(user, contest)),
                "judge_form": judge_form if rules.may_manage_judges(user, contest) else None,
                "judge_levels": [JudgeLevel.CITY] * can_run + [JudgeLevel.UNIT] * bool(reviewer_units),
                "reviewer_units": reviewer_units,
                "unit_panels": _unit_panels(user, contest, forms.get("recommend_forms") or {}),
                "stage_form": ContestStageForm(initial={"from_state": contest.state})
                if can_run and contest.state in (ContestState.OPEN, ContestState.UNIT_JUDGING)
                else None,
                "stage_next": ContestState(stage_next).label if stage_next else "",
                "can_sync": can_run and contest.state == ContestState.OPEN,
                "can_publish": can_run and contest.state == ContestState.CITY_JUDGING,
                "my_judging": bool(rules.judges_of(user, contest)),
            }
        )
    return TemplateResponse(request, "inbox/contest.html", context, status=status)


def _refused(request, error: GuardError, contest_id=None, **forms):
    if error.status == 404:
        raise error
    return _page(request, contest_id, error=error.message, status=error.status, **forms)


@login_required
@guarded
def contest_page(request):
    """论文评比: the year's contest as the user may read it, and the actions they may take."""
    return _page(request)


@login_required
@post_only
@guarded
def contest_open(request):
    rules.check_can_read(request.user)
    form = ContestOpenForm(request.POST)
    try:
        if not form.is_valid():
            rules.check_can_run(request.user)
            raise GuardError(first_error(form))
        contest = svc.contest_open(actor=request.user, year=form.cleaned_data["year"], title=form.cleaned_data["title"])
    except GuardError as error:
        return _refused(request, error, open_form=form)
    return done(
        request,
        _("已发起%(title)s，收录论文 %(n)d 篇。") % {"title": contest.title, "n": contest.entries.count()},
        _overview_url(contest),
    )


@login_required
@post_only
@guarded
def contest_sync(request, contest_id: int):
    rules.check_can_read(request.user)
    try:
        added = svc.contest_sync(actor=request.user, contest_id=contest_id)
    except GuardError as error:
        return _refused(request, error, contest_id)
    contest = PaperContest.objects.get(pk=contest_id)
    message = _("新收录论文 %(n)d 篇。") % {"n": len(added)} if added else _("没有新通过的论文需要收录。")
    return done(request, message, _overview_url(contest))


@login_required
@post_only
@guarded
def contest_stage(request, contest_id: int):
    rules.check_can_read(request.user)
    form = ContestStageForm(request.POST)
    try:
        if not form.is_valid():
            rules.check_can_run(request.user)
            raise GuardError(first_error(form))
        contest = svc.contest_advance(
            actor=request.user, contest_id=contest_id, from_state=form.cleaned_data["from_state"]
        )
    except GuardError as error:
        return _refused(request, error, contest_id)
    return done(
        request, _("评比已进入“%(stage)s”阶段。") % {"stage": contest.get_state_display()}, _overview_url(contest)
    )


@login_required
@post_only
@guarded
def contest_publish(request, contest_id: int):
    rules.check_can_read(request.user)
    try:
        contest = svc.contest_publish(actor=request.user, contest_id=contest_id)
    except GuardError as error:
        return _refused(request, error, contest_id)
    return done(request, _("评比结果已公布，各单位可查看本单位论文的获奖情况。"), _overview_url(contest))


@login_required
@post_only
@guarded
def contest_judge_add(request, contest_id: int):
    rules.check_can_read(request.user)
    form = JudgeForm(request.POST)
    try:
        if not form.is_valid():
            rules.check_can_appoint(request.user)
            raise GuardError(first_error(form))
        data = form.cleaned_data
        judge_user = get_user_model().objects.filter(username=data["username"].strip()).first()
        judge = svc.contest_judge_appoint(
            actor=request.user, contest_id=contest_id, judge_user=judge_user, level=data["level"], unit_id=data["unit"]
        )
    except GuardError as error:
        return _refused(request, error, contest_id, judge_form=form)
    return done(
        request,
        _("已聘请 %(who)s 为%(level)s评委。")
        % {"who": judge.user.get_full_name() or judge.user.get_username(), "level": judge.get_level_display()},
        _overview_url(judge.contest),
    )


@login_required
@post_only
@guarded
def contest_recommend(request, contest_id: int):
    rules.check_can_read(request.user)
    contest = PaperContest.objects.filter(pk=contest_id).first()
    if contest is None:
        raise NotInScope(_("未找到该论文评比。"))
    unit_id = request.POST.get("unit", "")
    unit_id = int(unit_id) if unit_id.isdigit() else 0
    choices = [(e.pk, e.code) for e in contest.entries.filter(unit_id=unit_id)]
    form = RecommendForm(request.POST, choices=choices)
    try:
        if not form.is_valid():
            rules.check_is_unit_reviewer(request.user)
            raise GuardError(first_error(form))
        chosen = svc.contest_recommend(
            actor=request.user,
            contest_id=contest_id,
            unit_id=form.cleaned_data["unit"],
            entry_ids=form.cleaned_data["entries"],
        )
    except GuardError as error:
        return _refused(request, error, contest_id, recommend_forms={unit_id: form})
    return done(
        request,
        _("已推荐 %(codes)s 参加市级评审。") % {"codes": "、".join(e.code for e in chosen)},
        _overview_url(contest),
    )


# --- the judge's anonymous list ------------------------------------------------------------------


def _judge_page(request, contest_id: int, *, error="", status=200, bound=None):
    user = request.user
    rules.check_can_read(user)
    contest = PaperContest.objects.filter(pk=contest_id).first()
    if contest is None:
        raise NotInScope(_("未找到该论文评比。"))
    appointments = rules.judges_of(user, contest)
    if not appointments:
        raise NotInScope(_("您不是该论文评比的评委。"))
    bound = bound or {}
    sections = []
    mentored = rules.mentored_case_ids(user)
    for judge in appointments:
        mine = {s.entry_id: s for s in ContestScore.objects.filter(judge=judge)}
        open_stage = rules.SCORING_STAGE[judge.level] == contest.state
        rows = []
        for entry in rules.judge_entries(judge):
            score = mine.get(entry.pk)
            conflicted = open_stage and rules.conflict(user, entry, mentored)
            can_score = open_stage and not conflicted
            form = None
            if can_score:
                form = bound.get((judge.level, entry.pk)) or ScoreForm(
                    initial={"score": score.score, "comment": score.comment} if score else None,
                    prefix=f"e{entry.pk}",
                )
            # Only what the judge may see: code, title, summary, the file, their own score.
            rows.append(
                {
                    "pk": entry.pk,
                    "code": entry.code,
                    "title": entry.work.title,
                    "summary": entry.work.summary,
                    "has_file": entry.has_file,
                    "score": score,
                    "form": form,
                    "conflict": conflicted,
                }
            )
        sections.append(
            {
                "judge": judge,
                "rows": rows,
                "open": open_stage,
                "stage": ContestState(rules.SCORING_STAGE[judge.level]).label,
            }
        )
    return TemplateResponse(
        request,
        "inbox/contest_judge.html",
        {"contest": contest, "sections": sections, "error": error},
        status=status,
    )


@login_required
@guarded
def contest_judge_page(request, contest_id: int):
    """评审: the entries of the judge's level, by code, with their score forms."""
    return _judge_page(request, contest_id)


@login_required
@post_only
@guarded
def contest_score(request, entry_id: int):
    rules.check_can_read(request.user)
    entry = ContestEntry.objects.select_related("contest").filter(pk=entry_id).first()
    if entry is None:
        raise NotInScope(_("未找到该参评论文，或它不在您的评审范围内。"))
    seen = rules.check_can_see_entry(request.user, entry)
    form = ScoreForm(request.POST, prefix=f"e{entry.pk}")
    level = next((j.level for j in seen if rules.SCORING_STAGE[j.level] == entry.contest.state), seen[0].level)
    try:
        if not form.is_valid():
            rules.check_can_score(request.user, entry)
            raise GuardError(first_error(form))
        row = svc.contest_score(
            actor=request.user,
            entry_id=entry.pk,
            score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
        )
    except GuardError as error:
        if error.status == 404:
            raise
        return _judge_page(
            request, entry.contest_id, error=error.message, status=error.status, bound={(level, entry.pk): form}
        )
    return done(
        request,
        _("已为 %(code)s 评分：%(score)s 分。") % {"code": entry.code, "score": row.score},
        reverse("inbox:contest_judge", args=[entry.contest_id]),
    )


@login_required
@guarded
def contest_entry_file(request, entry_id: int):
    """The paper's file for its judges, named by the entry's code: the stored name may carry the
    author's name."""
    entry = ContestEntry.objects.select_related("contest", "work").filter(pk=entry_id).first()
    if entry is None:
        raise NotInScope(_("未找到该参评论文，或它不在您的评审范围内。"))
    rules.check_can_see_entry(request.user, entry)
    attachment = entry.work.current_file
    if attachment is None:
        raise NotInScope(_("该论文没有上传文件。"))
    try:
        with open_attachment(attachment) as handle:
            content = handle.read()
    except FileNotFoundError:
        raise NotInScope(_("附件文件已不在存储中，请联系系统管理员。")) from None
    try:
        anonymous = _without_author(attachment.kind, content)
    except AnonymisingFailed:
        raise FileNotAnonymous(
            _("该论文文件无法去除作者信息，不能提供给评委下载；请联系市级管理员请作者重新上传 PDF。")
        ) from None
    return file_response(f"{entry.code}.{attachment.kind}", attachment.mime_type, anonymous, no_store=True)


# The document properties that name a person in an Office file (docProps/core.xml, app.xml).
_OOXML_PEOPLE = re.compile(rb"<(dc:creator|cp:lastModifiedBy|Company|Manager)>.*?</\1>", re.S)
# Who wrote a tracked change or a comment, and the people list (word/document.xml, comments,
# people.xml; xl/comments, threaded comments): every ``…:author="…"`` / ``…:initials="…"``.
_OOXML_AUTHOR_ATTRS = re.compile(rb'(\b[\w]+:(?:author|initials|userId|providerId)=")[^"]*(")')
_OOXML_AUTHOR_PARTS = (b"docProps/", b"word/", b"xl/")


class AnonymisingFailed(Exception):
    pass


class FileNotAnonymous(GuardError):
    """The stored file cannot be served to a judge (its author could not be removed)."""

    status = 409


def _without_author(kind: str, content: bytes) -> bytes:
    """The file without the author's name in its properties (PDF Info and XMP, Office core and
    app properties, tracked-change and comment authors): the judges read the paper, not who wrote
    it. A file that cannot be rewritten is not served (``AnonymisingFailed``): a judge must never
    get the stored file with its author in it."""
    try:
        if kind == FileKind.PDF:
            writer = PdfWriter(clone_from=PdfReader(BytesIO(content)))
            writer.metadata = None
            if "/Metadata" in writer._root_object:
                del writer._root_object["/Metadata"]
            out = BytesIO()
            writer.write(out)
            return out.getvalue()
        if kind in (FileKind.DOCX, FileKind.XLSX):
            out = BytesIO()
            with zipfile.ZipFile(BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
                for item in source.infolist():
                    data = source.read(item.filename)
                    name = item.filename.encode()
                    if name.startswith(_OOXML_AUTHOR_PARTS) and name.endswith((b".xml", b".rels")):
                        data = _OOXML_PEOPLE.sub(lambda m: b"<%s></%s>" % (m.group(1), m.group(1)), data)
                        data = _OOXML_AUTHOR_ATTRS.sub(
                            lambda m: m.group(1) + b"\xe8\xaf\x84\xe5\xae\xa1" + m.group(2), data
                        )
                    target.writestr(item, data)
            return out.getvalue()
    except Exception as error:  # noqa: BLE001 - any failure: refuse rather than leak the author
        raise AnonymisingFailed from error
    return content
