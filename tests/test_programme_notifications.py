"""Issue 12's actions tell the people they concern (结对帮带, 培养措施, 示范岗): the notification
is written in the action's transaction, to the right people only."""

from tests.helpers import new_case
from workflows.models import DemoPostKind, Notification, NotificationKind, PairKind
from workflows.services import demo, pairs


def _told(kind):
    return {n.recipient_id: n.message for n in Notification.objects.filter(kind=kind)}


def test_a_new_pair_tells_both_teachers_and_an_activity_tells_the_other(world):
    w = world
    pair = pairs.pair_add(
        actor=w.officer,
        kind=PairKind.SENIOR_JUNIOR,
        senior_id=w.member_mentor.pk,
        junior_id=w.candidate1.pk,
        focus=["ethics", "teaching"],
    )
    told = _told(NotificationKind.PAIRING)
    assert set(told) == {w.member_mentor.user_id, w.candidate1.user_id}
    assert "王骨干" in told[w.member_mentor.user_id] and "老人带新人" in told[w.member_mentor.user_id]
    Notification.objects.all().delete()
    pairs.pair_activity_add(
        actor=w.member_mentor.user, pair_id=pair.pk, date=pair.started_on, form="supervision", content="业务督导一次。"
    )
    told = _told(NotificationKind.PAIRING)
    assert set(told) == {w.candidate1.user_id} and "业务督导" in told[w.candidate1.user_id]


def test_a_submitted_training_plan_tells_the_branch_secretary(world):
    w = world
    case = new_case(w, "钱措施", "training", mentors=[w.member_mentor])
    pairs.measure_submit(actor=w.member_mentor.user, case_id=case.pk, text="每月谈心一次，每季度列席支部大会。")
    told = Notification.objects.get(kind=NotificationKind.PAIRING, case=case)
    assert told.recipient == w.secretary and "钱措施" in told.message


def test_a_declared_post_tells_the_unit_reviewer_and_the_decision_tells_the_school(world):
    w = world
    post = demo.demo_post_declare(
        actor=w.officer, teacher_id=w.member_mentor.pk, kind=DemoPostKind.POST, subject="", title="语文党员示范岗"
    )
    told = _told(NotificationKind.DEMO)
    assert set(told) == {w.reviewer.pk} and "语文党员示范岗" in told[w.reviewer.pk]
    Notification.objects.all().delete()
    demo.demo_post_decide(actor=w.reviewer, post_id=post.pk, certify=False, note="课堂开放记录不足")
    told = _told(NotificationKind.DEMO)
    assert set(told) == {w.officer.pk, w.member_mentor.user_id}
    assert "课堂开放记录不足" in told[w.officer.pk]
