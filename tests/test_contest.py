"""双培论文评比 (seed 000 §三(四)): a contest a year fed by the accepted semester 论文, judged
anonymously by unit and then city judges, published to the units and kept on the case page.

End to end through the test client as the real roles; each refusal with its status, its Chinese
message and nothing changed; every view against anonymous, an outsider, another county, a
mentor and an auditor. The scene (three cases in training with their papers accepted, in two
units) is built once for the module; each test runs in a savepoint that is rolled back.
"""

import datetime
import re
from decimal import Decimal
from io import BytesIO
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader, PdfWriter

from tests.factories import make_org, make_teacher, make_user, make_world
from tests.flow_client import client_for
from tests.helpers import alert_text, drive, module_media, new_case, open_human, refused, scene_once, snapshot
from tests.training import submitter, training_tasks
from workflows.flows import CaseFlow
from workflows.models import (
    AuditAction,
    AuditEvent,
    Case,
    CaseState,
    OrgKind,
    PartyStatus,
    Role,
    RoleAssignment,
    Teacher,
)
from workflows.models.programme import (
    Award,
    ContestEntry,
    ContestJudge,
    ContestScore,
    ContestState,
    JudgeLevel,
    PaperContest,
)
from workflows.services import cases as case_svc
from workflows.services import contest as svc
from workflows.services import training
from workflows.services.attachments import as_upload, open_attachment
from workflows.services.locking import locked_case

YEAR = 2026

# --- the scene ------------------------------------------------------------------------------


def pdf_by(author: str) -> bytes:
    """A one-page PDF whose document properties name its author."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/Author": author, "/Title": "教育教学论文"})
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def trained_with_named_files(w, name):
    """A case in training whose every work was uploaded under a file name carrying the author's
    name (as people do): the judges must never see it."""
    case = new_case(w, name, CaseState.PAIRED)
    for task in open_human(case):
        case_svc.mentor_accept(actor=task.owner, task_id=task.pk)
    Case.objects.filter(pk=case.pk).update(training_started_on=timezone.localdate() - datetime.timedelta(days=400))
    with locked_case(case.pk) as locked:
        training.sync_obligations(locked)
    for task in training_tasks(case, CaseFlow.submit_work):
        training.work_submit(
            actor=submitter(task),
            task_id=task.pk,
            title="题目",
            summary="摘要",
            upload=as_upload(f"{name}-{task.work.get_item_display()}.pdf", pdf_by(name)),
        )
    for task in training_tasks(case, CaseFlow.review_work):
        training.work_review(actor=task.owner, task_id=task.pk, accept=True)
    case.refresh_from_db()
    return case


def build_scene() -> SimpleNamespace:
    """赫山区: 冯论文 (mentored by 张正式), 褚论文 (mentored by 郑导师, who also holds an officer's
    role and is appointed a unit judge: he must 回避 her paper), 卫论文 and 蒋论文 (陈正式);
    市一中: 赵老师. Each case has its 2026秋 论文 accepted (the scene stands in November 2026)."""
    w = make_world()
    s = SimpleNamespace(w=w)
    sibling = make_org("赫山区第二中学", OrgKind.SCHOOL, w.county)
    s.judge = make_user("heshan_judge", org=sibling, role=Role.OFFICER, full_name="赫山评委甲")
    s.judge2 = make_user("heshan_judge2", org=w.county, role=Role.OFFICER, full_name="赫山评委乙")
    s.city_judge = make_user("city_judge", org=w.city, role=Role.OFFICER, full_name="市级评委")
    s.direct_judge = make_user("direct_judge", org=w.direct, role=Role.OFFICER, full_name="市一中评委")
    s.mentor_teacher = make_teacher("郑导师", w.branch, party_status=PartyStatus.FULL, user=True)
    s.mentor_judge = s.mentor_teacher.user
    RoleAssignment.objects.create(user=s.mentor_judge, org=sibling, role=Role.OFFICER)

    s.a = trained_with_named_files(w, "冯论文")
    s.b = new_case(w, "褚论文", CaseState.TRAINING, mentors=[s.mentor_teacher])
    s.c = new_case(w, "卫论文", CaseState.TRAINING, mentors=[w.member_mentor2])
    s.e = new_case(w, "蒋论文", CaseState.TRAINING, mentors=[w.member_mentor2])
    direct = case_svc.case_register(actor=w.direct_officer, teacher_id=w.direct_candidate.pk, kind="1")
    s.d = drive(
        direct, CaseState.TRAINING, officer=w.direct_officer, mentors=[w.direct_mentor], secretary=w.direct_secretary
    )
    return s


_built = scene_once(build_scene)


@pytest.fixture
def scene(_built, db, settings):
    module_media(settings, _built)
    return _built


def contest_state() -> dict:
    """What a refused contest action must leave as it was, beside ``snapshot()``."""
    return {
        "core": snapshot(),
        "contests": sorted(PaperContest.objects.values_list("id", "year", "state", "published_at")),
        "entries": sorted(
            ContestEntry.objects.values_list("id", "code", "unit_score", "advanced", "city_score", "award")
        ),
        "judges": sorted(ContestJudge.objects.values_list("id", "user_id", "level", "unit_id")),
        "scores": sorted(ContestScore.objects.values_list("id", "score", "comment")),
        "events": AuditEvent.objects.count(),
    }


# --- driving the contest through the services (for the tests that start midway) ------------


def opened(s) -> PaperContest:
    return svc.contest_open(actor=s.w.city_admin, year=YEAR, title="")


def appointed(s, contest) -> PaperContest:
    w = s.w
    for user in (s.judge, s.judge2, s.mentor_judge):
        svc.contest_judge_appoint(
            actor=w.reviewer, contest_id=contest.pk, judge_user=user, level=JudgeLevel.UNIT, unit_id=w.county.pk
        )
    svc.contest_judge_appoint(
        actor=w.direct_reviewer,
        contest_id=contest.pk,
        judge_user=s.direct_judge,
        level=JudgeLevel.UNIT,
        unit_id=w.direct.pk,
    )
    svc.contest_judge_appoint(actor=w.city_admin, contest_id=contest.pk, judge_user=s.city_judge, level=JudgeLevel.CITY)
    return contest


def entry_of(contest, case) -> ContestEntry:
    return contest.entries.get(work__case=case)


def at_unit_judging(s) -> PaperContest:
    contest = appointed(s, opened(s))
    return svc.contest_advance(actor=s.w.city_admin, contest_id=contest.pk, from_state=ContestState.OPEN)


def at_city_judging(s) -> PaperContest:
    contest = at_unit_judging(s)
    w = s.w
    for e in contest.entries.filter(unit=w.county):
        svc.contest_score(actor=s.judge, entry_id=e.pk, score=Decimal("80"))
    for e in contest.entries.filter(unit=w.direct):
        svc.contest_score(actor=s.direct_judge, entry_id=e.pk, score=Decimal("75"))
    svc.contest_recommend(
        actor=w.reviewer, contest_id=contest.pk, unit_id=w.county.pk, entry_ids=[entry_of(contest, s.a).pk]
    )
    svc.contest_recommend(
        actor=w.direct_reviewer, contest_id=contest.pk, unit_id=w.direct.pk, entry_ids=[entry_of(contest, s.d).pk]
    )
    return svc.contest_advance(actor=w.city_admin, contest_id=contest.pk, from_state=ContestState.UNIT_JUDGING)


def published(s) -> PaperContest:
    contest = at_city_judging(s)
    for e in contest.entries.filter(advanced=True):
        svc.contest_score(actor=s.city_judge, entry_id=e.pk, score=Decimal("91"))
    return svc.contest_publish(actor=s.w.city_admin, contest_id=contest.pk)


def score_data(entry, score, comment=""):
    return {f"e{entry.pk}-score": score, f"e{entry.pk}-comment": comment}


def page(user, url):
    return client_for(user).get(url)


# --- end to end ---------------------------------------------------------------------------------


def test_a_contest_from_opening_to_the_case_page(scene):
    s, w = scene, scene.w
    city = client_for(w.city_admin)
    assert city.get("/inbox/contest/").status_code == 200

    # 发起: every accepted 2026 论文 joins, under a random code.
    response = city.post("/inbox/contest/open/", {"year": YEAR, "title": ""})
    assert response.status_code == 302, alert_text(response)
    contest = PaperContest.objects.get(year=YEAR)
    assert contest.state == ContestState.OPEN and contest.title == "2026年度“双培”论文评比"
    expected = set(svc.eligible_papers(YEAR).values_list("pk", flat=True))
    assert len(expected) == 5 and set(contest.entries.values_list("work_id", flat=True)) == expected
    codes = list(contest.entries.values_list("code", flat=True))
    assert all(re.fullmatch(r"2026-[2-9A-HJKMNP-Z]{4}", c) for c in codes) and len(set(codes)) == 5
    for e in contest.entries.select_related("work"):
        assert e.unit_id == e.work.case.unit_id
    # Named by what happens to them: A and E are recommended, B and C are not.
    a_autumn, b_autumn, a_spring, b_spring = (entry_of(contest, c) for c in (s.a, s.e, s.c, s.b))
    d_spring = entry_of(contest, s.d)
    # A second sync adds nothing.
    assert city.post(f"/inbox/contest/{contest.pk}/sync/").status_code == 302
    assert contest.entries.count() == 5

    # 聘请评委: the units' 审核人 their judges, the city its own.
    reviewer = client_for(w.reviewer)
    for user in (s.judge, s.judge2, s.mentor_judge):
        response = reviewer.post(
            f"/inbox/contest/{contest.pk}/judges/", {"username": user.username, "level": "unit", "unit": w.county.pk}
        )
        assert response.status_code == 302, alert_text(response)
    response = client_for(w.direct_reviewer).post(
        f"/inbox/contest/{contest.pk}/judges/", {"username": "direct_judge", "level": "unit", "unit": w.direct.pk}
    )
    assert response.status_code == 302, alert_text(response)
    response = city.post(f"/inbox/contest/{contest.pk}/judges/", {"username": "city_judge", "level": "city"})
    assert response.status_code == 302, alert_text(response)
    assert ContestJudge.objects.filter(contest=contest).count() == 5

    assert city.post(f"/inbox/contest/{contest.pk}/stage/", {"from_state": "open"}).status_code == 302
    contest.refresh_from_db()
    assert contest.state == ContestState.UNIT_JUDGING

    # The unit judge's page: their unit's entries by code; never a name, school or mentor.
    judge = client_for(s.judge)
    body = judge.get(f"/inbox/contest/{contest.pk}/judging/").content.decode()
    for e in (a_spring, a_autumn, b_spring, b_autumn):
        assert e.code in body
    assert d_spring.code not in body
    for secret in (
        "冯论文",
        "褚论文",
        "赵老师",
        "赫山区第一中学",
        "赫山一中第一党支部",
        "张正式",
        "郑导师",
        "陈正式",
        "卫论文",
        "蒋论文",
    ):
        assert secret not in body, secret
    # Its file comes under the code, never under the name it was uploaded with.
    download = judge.get(f"/inbox/contest/entries/{a_autumn.pk}/file/")
    assert download.status_code == 200
    disposition = download["Content-Disposition"]
    assert f"{a_autumn.code}.pdf" in disposition and "%E5%86%AF" not in disposition  # 冯
    served = download.content
    with open_attachment(a_autumn.work.current_file) as stored:
        assert PdfReader(stored).metadata["/Author"] == "冯论文"  # what was uploaded names her
    assert served.startswith(b"%PDF") and PdfReader(BytesIO(served)).pages
    assert PdfReader(BytesIO(served)).metadata is None and "冯".encode("utf-16-be") not in served

    # Scores, one per judge per entry; a judge may change theirs while the stage is open.
    for e, first, second in (
        (a_spring, "70", "72.5"),
        (a_autumn, "90", "88"),
        (b_spring, "60", "65"),
        (b_autumn, "85", "81"),
    ):
        response = judge.post(f"/inbox/contest/entries/{e.pk}/score/", score_data(e, first, "论证清楚"))
        assert response.status_code == 302, alert_text(response)
        response = client_for(s.judge2).post(f"/inbox/contest/entries/{e.pk}/score/", score_data(e, second))
        assert response.status_code == 302, alert_text(response)
    response = judge.post(f"/inbox/contest/entries/{a_spring.pk}/score/", score_data(a_spring, "71", "修改后"))
    assert response.status_code == 302
    assert ContestScore.objects.filter(entry=a_spring).count() == 2
    assert ContestScore.objects.get(entry=a_spring, judge__user=s.judge).score == Decimal("71")
    events = AuditEvent.objects.filter(action=AuditAction.CONTEST_SCORE, changes__code=a_spring.code)
    assert events.count() == 3
    # Not on the paper's case: another official of the unit (another judge) reading the case's
    # history must not find the code and the mark beside the author's name.
    assert not events.filter(case__isnull=False).exists()
    latest = events.order_by("-seq").first()
    assert latest.changes["score"] == ["70.00", "71.00"] and latest.changes["internal"]
    assert latest.actor_id == s.judge.pk and latest.role == Role.OFFICER
    assert "卫论文" not in str(latest.changes) and "卫论文" not in latest.reason
    for e in (d_spring,):
        response = client_for(s.direct_judge).post(f"/inbox/contest/entries/{e.pk}/score/", score_data(e, "77"))
        assert response.status_code == 302, alert_text(response)

    # The unit's 审核人 sees the means by code (no names yet) and recommends the top two.
    body = reviewer.get(f"/inbox/contest/?year={YEAR}").content.decode()
    assert a_autumn.code in body and "89.00" in body and "冯论文" not in body and d_spring.code not in body
    response = reviewer.post(
        f"/inbox/contest/{contest.pk}/recommend/", {"unit": w.county.pk, "entries": [a_autumn.pk, b_autumn.pk]}
    )
    assert response.status_code == 302, alert_text(response)
    response = client_for(w.direct_reviewer).post(
        f"/inbox/contest/{contest.pk}/recommend/", {"unit": w.direct.pk, "entries": [d_spring.pk]}
    )
    assert response.status_code == 302, alert_text(response)

    assert city.post(f"/inbox/contest/{contest.pk}/stage/", {"from_state": "unit_judging"}).status_code == 302
    contest.refresh_from_db()
    assert contest.state == ContestState.CITY_JUDGING
    a_autumn.refresh_from_db()
    b_spring.refresh_from_db()
    assert a_autumn.unit_score == Decimal("89.00") and a_autumn.advanced
    assert b_spring.unit_score == Decimal("62.50") and not b_spring.advanced

    # The city judge: the recommended entries only.
    city_judge = client_for(s.city_judge)
    body = city_judge.get(f"/inbox/contest/{contest.pk}/judging/").content.decode()
    assert all(e.code in body for e in (a_autumn, b_autumn, d_spring))
    assert all(e.code not in body for e in (a_spring, b_spring))
    assert "冯论文" not in body and "赵老师" not in body
    for e, score in ((a_autumn, "92"), (b_autumn, "78.5"), (d_spring, "55")):
        response = city_judge.post(f"/inbox/contest/entries/{e.pk}/score/", score_data(e, score))
        assert response.status_code == 302, alert_text(response)

    # 公布: awards by band, names visible to each unit for its own entries.
    make_user("feng_lunwen", teacher=Teacher.objects.get(pk=s.a.teacher_id), full_name="冯论文")
    response = city.post(f"/inbox/contest/{contest.pk}/publish/")
    assert response.status_code == 302, alert_text(response)
    contest.refresh_from_db()
    assert contest.state == ContestState.PUBLISHED and contest.published_at
    awards = dict(contest.entries.values_list("pk", "award"))
    assert awards[a_autumn.pk] == Award.FIRST and awards[b_autumn.pk] == Award.THIRD
    assert awards[d_spring.pk] == Award.NONE and awards[a_spring.pk] == Award.NONE
    body = reviewer.get(f"/inbox/contest/?year={YEAR}").content.decode()
    assert "冯论文" in body and "一等奖" in body and "褚论文" in body and "赵老师" not in body
    body = client_for(w.direct_reviewer).get(f"/inbox/contest/?year={YEAR}").content.decode()
    assert "赵老师" in body and "冯论文" not in body
    body = city.get(f"/inbox/contest/?year={YEAR}").content.decode()
    assert "冯论文" in body and "赵老师" in body

    # The case page keeps it.
    body = client_for(w.officer).get(f"/inbox/cases/{s.a.pk}/").content.decode()
    assert 'id="contest-awards"' in body and "2026年度“双培”论文评比" in body and "一等奖" in body
    assert AuditEvent.objects.filter(action=AuditAction.CONTEST_PUBLISH, case=s.a).count() == 1
    # The trainee is told the result of their own paper.
    from workflows.models import Notification, NotificationKind

    told = Notification.objects.get(kind=NotificationKind.CONTEST, recipient__username="feng_lunwen", case=s.a)
    assert "一等奖" in told.message
    assert AuditEvent.objects.filter(action=AuditAction.CONTEST_OPEN, case=None).count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.CONTEST_JUDGE).count() == 5
    assert AuditEvent.objects.filter(action=AuditAction.CONTEST_ADVANCE).count() == 4


def test_a_paper_accepted_later_joins_while_the_contest_is_open(scene):
    s = scene
    contest = opened(s)
    entry = contest.entries.first()
    work = entry.work
    entry.delete()  # as if the paper had been accepted after the contest opened
    added = svc.contest_sync(actor=s.w.city_admin, contest_id=contest.pk)
    assert [e.work_id for e in added] == [work.pk]
    assert svc.contest_sync(actor=s.w.city_admin, contest_id=contest.pk) == []


# --- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "comment", "says"),
    [
        ("101", "", "0 至 100"),
        ("-1", "", "0 至 100"),
        ("abc", "", "0 至 100"),
        ("85.555", "", "两位小数"),
        ("", "", "请填写得分"),
        ("80", "评" * 501, "最多 500 字"),
    ],
)
def test_bad_scores_are_refused_and_kept(scene, score, comment, says):
    s = scene
    contest = at_unit_judging(s)
    entry = entry_of(contest, s.a)
    before = contest_state()
    response = client_for(s.judge).post(f"/inbox/contest/entries/{entry.pk}/score/", score_data(entry, score, comment))
    refused(response, 400, says)
    assert contest_state() == before
    if score:
        assert f'value="{score}"' in response.content.decode()


def test_a_judge_does_not_score_their_own_mentee(scene):
    s = scene
    contest = at_unit_judging(s)
    entry = entry_of(contest, s.b)
    body = page(s.mentor_judge, f"/inbox/contest/{contest.pk}/judging/").content.decode()
    assert "须回避" in body and "褚论文" not in body
    before = contest_state()
    response = client_for(s.mentor_judge).post(f"/inbox/contest/entries/{entry.pk}/score/", score_data(entry, "99"))
    refused(response, 403, "回避")
    assert contest_state() == before
    # Another unit's paper is fine for him.
    other = entry_of(contest, s.a)
    assert (
        client_for(s.mentor_judge)
        .post(f"/inbox/contest/entries/{other.pk}/score/", score_data(other, "80"))
        .status_code
        == 302
    )


def test_scores_are_refused_once_the_stage_closed(scene):
    s = scene
    contest = at_city_judging(s)
    entry = entry_of(contest, s.a)
    before = contest_state()
    response = client_for(s.judge).post(f"/inbox/contest/entries/{entry.pk}/score/", score_data(entry, "50"))
    refused(response, 409, "市级评审", "不能评分")
    assert contest_state() == before
    # Nor may the city judge score an entry that was not recommended.
    other = entry_of(contest, s.b)
    response = client_for(s.city_judge).post(f"/inbox/contest/entries/{other.pk}/score/", score_data(other, "50"))
    assert response.status_code == 404 and contest_state() == before


def test_nobody_scores_before_the_judging_starts(scene):
    s = scene
    contest = appointed(s, opened(s))
    entry = entry_of(contest, s.a)
    before = contest_state()
    response = client_for(s.judge).post(f"/inbox/contest/entries/{entry.pk}/score/", score_data(entry, "50"))
    refused(response, 409, "征集中")
    assert contest_state() == before


def test_a_unit_judge_cannot_score_another_units_entry(scene):
    s = scene
    contest = at_unit_judging(s)
    entry = entry_of(contest, s.d)
    before = contest_state()
    response = client_for(s.judge).post(f"/inbox/contest/entries/{entry.pk}/score/", score_data(entry, "80"))
    assert response.status_code == 404 and "评审范围" in response.content.decode()
    assert client_for(s.judge).get(f"/inbox/contest/entries/{entry.pk}/file/").status_code == 404
    assert contest_state() == before


@pytest.mark.parametrize("who", ["reviewer", "officer", "auditor", "direct_reviewer"])
def test_only_the_city_opens_and_moves_the_contest(scene, who):
    s = scene
    user = getattr(s.w, who)
    before = contest_state()
    response = client_for(user).post("/inbox/contest/open/", {"year": YEAR, "title": "x"})
    refused(response, 403, "市级管理员")
    assert contest_state() == before
    contest = opened(s)
    before = contest_state()
    for url, data in (
        (f"/inbox/contest/{contest.pk}/stage/", {"from_state": "open"}),
        (f"/inbox/contest/{contest.pk}/sync/", {}),
        (f"/inbox/contest/{contest.pk}/publish/", {}),
        (f"/inbox/contest/{contest.pk}/judges/", {"username": "city_judge", "level": "city"}),
    ):
        refused(client_for(user).post(url, data), 403, "市级管理员")
    assert contest_state() == before


def test_the_city_is_refused_bad_openings_and_stale_stages(scene):
    s = scene
    city = client_for(s.w.city_admin)
    before = contest_state()
    refused(city.post("/inbox/contest/open/", {"year": "二〇二六"}), 400, "四位数字")
    refused(city.post("/inbox/contest/open/", {"year": "1999"}), 400, "2000")
    refused(city.post("/inbox/contest/open/", {"year": "2026", "title": "题" * 201}), 400, "最多 200 字")
    assert contest_state() == before
    contest = opened(s)
    before = contest_state()
    refused(city.post("/inbox/contest/open/", {"year": YEAR}), 409, "已经发起")
    refused(city.post(f"/inbox/contest/{contest.pk}/stage/", {"from_state": "unit_judging"}), 409, "征集中")
    refused(city.post(f"/inbox/contest/{contest.pk}/publish/"), 409, "征集中")
    assert contest_state() == before


def test_recommendations_and_publication_are_checked(scene):
    s, w = scene, scene.w
    contest = at_unit_judging(s)
    reviewer = client_for(w.reviewer)
    a1, a2, b1, b2 = (entry_of(contest, c) for c in (s.c, s.a, s.b, s.e))
    before = contest_state()
    # Nothing scored yet.
    refused(
        reviewer.post(f"/inbox/contest/{contest.pk}/recommend/", {"unit": w.county.pk, "entries": [a1.pk]}),
        400,
        "尚无单位评委评分",
    )
    for e in (a1, a2, b1, b2):
        svc.contest_score(actor=s.judge, entry_id=e.pk, score=Decimal("70"))
    before = contest_state()
    # 4 entries → at most 2.
    refused(
        reviewer.post(
            f"/inbox/contest/{contest.pk}/recommend/", {"unit": w.county.pk, "entries": [a1.pk, a2.pk, b1.pk]}
        ),
        400,
        "最多推荐 2 篇",
    )
    refused(reviewer.post(f"/inbox/contest/{contest.pk}/recommend/", {"unit": w.county.pk}), 400, "至少选择一篇")
    # Another county's reviewer may not recommend for 赫山.
    refused(
        client_for(w.other_reviewer).post(
            f"/inbox/contest/{contest.pk}/recommend/", {"unit": w.county.pk, "entries": [a1.pk]}
        ),
        403,
        "赫山区教育局的审核人",
    )
    # Nobody recommended: the city cannot move on.
    refused(
        client_for(w.city_admin).post(f"/inbox/contest/{contest.pk}/stage/", {"from_state": "unit_judging"}),
        400,
        "还没有单位推荐",
    )
    assert contest_state() == before

    svc.contest_recommend(actor=w.reviewer, contest_id=contest.pk, unit_id=w.county.pk, entry_ids=[a2.pk])
    svc.contest_advance(actor=w.city_admin, contest_id=contest.pk, from_state=ContestState.UNIT_JUDGING)
    before = contest_state()
    refused(client_for(w.city_admin).post(f"/inbox/contest/{contest.pk}/publish/"), 400, a2.code, "尚无市级评委评分")
    assert contest_state() == before


def test_judges_are_officials_in_the_unit_and_appointed_once(scene):
    s, w = scene, scene.w
    contest = opened(s)
    reviewer = client_for(w.reviewer)
    url = f"/inbox/contest/{contest.pk}/judges/"
    before = contest_state()
    for username, says in (
        ("county_auditor", "不符合"),  # an 审计 reads, never scores
        ("taojiang_officer", "不符合"),  # another county's official
        ("outsider", "不符合"),
        ("nobody", "未找到该评委"),
        ("", "请填写评委的用户名"),
    ):
        response = reviewer.post(url, {"username": username, "level": "unit", "unit": w.county.pk})
        refused(response, 400, says)
        if username:
            assert f'value="{username}"' in response.content.decode()
    refused(reviewer.post(url, {"username": "heshan_judge", "level": "city"}), 403, "市级管理员")
    refused(reviewer.post(url, {"username": "heshan_judge", "level": "unit", "unit": w.direct.pk}), 403, "审核人")
    assert contest_state() == before
    assert reviewer.post(url, {"username": "city_judge", "level": "unit", "unit": w.county.pk}).status_code == 302
    before = contest_state()
    refused(reviewer.post(url, {"username": "city_judge", "level": "unit", "unit": w.county.pk}), 409, "无需重复聘请")
    assert contest_state() == before


# --- who sees what --------------------------------------------------------------------------------


def views(contest, entry):
    """Every contest view: (method, url, data)."""
    return [
        ("get", "/inbox/contest/", None),
        ("post", "/inbox/contest/open/", {"year": YEAR + 1}),
        ("post", f"/inbox/contest/{contest.pk}/sync/", {}),
        ("post", f"/inbox/contest/{contest.pk}/stage/", {"from_state": contest.state}),
        ("post", f"/inbox/contest/{contest.pk}/publish/", {}),
        ("post", f"/inbox/contest/{contest.pk}/judges/", {"username": "heshan_judge2", "level": "city"}),
        ("post", f"/inbox/contest/{contest.pk}/recommend/", {"unit": entry.unit_id, "entries": [entry.pk]}),
        ("get", f"/inbox/contest/{contest.pk}/judging/", None),
        ("post", f"/inbox/contest/entries/{entry.pk}/score/", score_data(entry, "80")),
        ("get", f"/inbox/contest/entries/{entry.pk}/file/", None),
    ]


def call(client, method, url, data):
    return client.get(url) if method == "get" else client.post(url, data or {})


def test_anonymous_is_sent_to_log_in(scene):
    contest = at_unit_judging(scene)
    entry = entry_of(contest, scene.a)
    before = contest_state()
    for method, url, data in views(contest, entry):
        response = call(Client(), method, url, data)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    assert contest_state() == before


@pytest.mark.parametrize("who", ["outsider", "mentor"])
def test_outsiders_and_mentors_get_nothing(scene, who):
    s = scene
    user = s.w.outsider if who == "outsider" else s.w.member_mentor.user  # 张正式 mentors 冯论文
    contest = at_unit_judging(s)
    entry = entry_of(contest, s.a)
    before = contest_state()
    client = client_for(user)
    for method, url, data in views(contest, entry):
        response = call(client, method, url, data)
        assert response.status_code in (403, 404), (url, response.status_code)
        assert entry.code not in response.content.decode()
    assert contest_state() == before
    assert 'href="/inbox/contest/"' not in client.get("/inbox/").content.decode()


def test_another_county_sees_none_of_heshan(scene):
    s = scene
    contest = published(s)
    entry = entry_of(contest, s.a)
    client = client_for(s.w.other_reviewer)
    body = client.get(f"/inbox/contest/?year={YEAR}").content.decode()
    assert client.get("/inbox/contest/").status_code == 200
    assert entry.code not in body and "冯论文" not in body and "赵老师" not in body
    assert client.get(f"/inbox/contest/{contest.pk}/judging/").status_code == 404
    assert client.get(f"/inbox/contest/entries/{entry.pk}/file/").status_code == 404
    assert client.get(f"/inbox/cases/{s.a.pk}/").status_code == 404


def test_the_auditor_reads_results_in_scope_and_never_scores(scene):
    s, w = scene, scene.w
    contest = at_unit_judging(s)
    entry = entry_of(contest, s.a)
    auditor = client_for(w.auditor)
    body = auditor.get(f"/inbox/contest/?year={YEAR}").content.decode()
    assert entry.code in body and "冯论文" not in body and entry_of(contest, s.d).code not in body
    assert 'id="judge-form"' not in body and 'id="contest-stage-form"' not in body
    before = contest_state()
    for method, url, data in views(contest, entry)[1:]:
        response = call(auditor, method, url, data)
        assert response.status_code in (403, 404), (url, response.status_code)
        assert alert_text(response) or response.status_code == 404
    assert contest_state() == before
    # After publication: the names and awards of the county's entries.
    for e in contest.entries.filter(unit=w.county):
        svc.contest_score(actor=s.judge, entry_id=e.pk, score=Decimal("66"))
    for e in contest.entries.filter(unit=w.direct):
        svc.contest_score(actor=s.direct_judge, entry_id=e.pk, score=Decimal("66"))
    svc.contest_recommend(actor=w.reviewer, contest_id=contest.pk, unit_id=w.county.pk, entry_ids=[entry.pk])
    svc.contest_advance(actor=w.city_admin, contest_id=contest.pk, from_state=ContestState.UNIT_JUDGING)
    svc.contest_score(actor=s.city_judge, entry_id=entry.pk, score=Decimal("83"))
    svc.contest_publish(actor=w.city_admin, contest_id=contest.pk)
    body = auditor.get(f"/inbox/contest/?year={YEAR}").content.decode()
    assert "冯论文" in body and "二等奖" in body and "赵老师" not in body


def test_the_menu_shows_the_contest_to_officials_and_judges(scene):
    s = scene
    at_unit_judging(s)
    for user in (s.w.city_admin, s.w.reviewer, s.w.auditor, s.judge):
        assert 'href="/inbox/contest/"' in client_for(user).get("/inbox/").content.decode(), user


def test_an_office_file_loses_every_author_trace_and_a_broken_one_is_not_served():
    """The judges' download: the author leaves docProps (core and app), tracked changes, comments
    and the people list; a file that cannot be rewritten is refused, never served as stored."""
    import io
    import zipfile

    from inbox.views.contest import AnonymisingFailed, _without_author
    from workflows.models import FileKind

    parts = {
        "[Content_Types].xml": b"<Types/>",
        "docProps/core.xml": b"<cp:coreProperties><dc:creator>Zhang San</dc:creator>"
        b"<cp:lastModifiedBy>Zhang San</cp:lastModifiedBy></cp:coreProperties>",
        "docProps/app.xml": b"<Properties><Company>Zhang San School</Company><Manager>Zhang San</Manager></Properties>",
        "word/document.xml": b'<w:document><w:ins w:id="1" w:author="Zhang San" w:date="2026"/></w:document>',
        "word/comments.xml": b'<w:comments><w:comment w:author="Zhang San" w:initials="ZS"/></w:comments>',
        "word/people.xml": b'<w15:people><w15:person w15:author="Zhang San"/></w15:people>',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    served = _without_author(FileKind.DOCX, buffer.getvalue())
    with zipfile.ZipFile(io.BytesIO(served)) as z:
        assert sorted(z.namelist()) == sorted(parts)  # nothing dropped: Word still opens it
        everything = b"".join(z.read(n) for n in z.namelist())
    assert b"Zhang" not in everything and b"ZS" not in everything
    with pytest.raises(AnonymisingFailed):
        _without_author(FileKind.DOCX, b"not a zip file")
