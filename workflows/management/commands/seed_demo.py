"""``python manage.py seed_demo``: a small, realistic 双培 world to try the system with.

It builds the city, the 19 units of 附件1 (in the table's order), schools and party
branches, teachers, one demo account per role, and about thirty cases standing in every
stage. Every case moves only through the services in ``workflows.services`` (登记造册,
结对, 接受/谢绝, 提交, 审核, 退回, 撤回, 备案, 暂停, 退出, 认领), so each case has its
tasks and an audit trail exactly as if people had clicked through it.

Running it again changes nothing: if the city organisation already exists, the command
only prints the demo accounts again.
"""

import datetime
import random
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from workflows.flows import OPEN_TASK_STATUSES, CaseFlow, off_lifecycle_nodes, training_nodes
from workflows.management.demo_outcomes import seed_outcomes
from workflows.models import (
    KINDS_FOR_CASE,
    Case,
    CaseKind,
    CaseState,
    CaseTask,
    Organisation,
    OrgKind,
    PartyStatus,
    Role,
    RoleAssignment,
    Sex,
    Teacher,
)
from workflows.routing import nearest_org_with_role
from workflows.selectors import users_holding
from workflows.services import cases as svc
from workflows.services import records as record_svc
from workflows.services import training
from workflows.services.attachments import as_upload
from workflows.services.locking import locked_case
from workflows.services.tasks import task_claim
from workflows.services.teachers import teacher_update

DEMO_PASSWORD = "demo12345"
CITY_NAME = "市委教育工委"

# 附件1, in the table's order: the left column (county bureaus), then the right (direct units).
UNITS = [
    ("安化县教体局", OrgKind.COUNTY),
    ("桃江县教育局", OrgKind.COUNTY),
    ("资阳区教育局", OrgKind.COUNTY),
    ("赫山区教育局", OrgKind.COUNTY),
    ("沅江市教育局", OrgKind.COUNTY),
    ("南县教育局", OrgKind.COUNTY),
    ("大通湖区教育和卫生健康局", OrgKind.COUNTY),
    ("湖南城市学院", OrgKind.DIRECT),
    ("湖南工艺美院", OrgKind.DIRECT),
    ("湖南兵器工业高级技工学校", OrgKind.DIRECT),
    ("益阳医学高等专科学校", OrgKind.DIRECT),
    ("益阳职业技术学院", OrgKind.DIRECT),
    ("市一中（益阳师范）", OrgKind.DIRECT),
    ("益阳广播电视大学", OrgKind.DIRECT),
    ("益阳高级技工学校", OrgKind.DIRECT),
    ("市特殊教育学校", OrgKind.DIRECT),
    ("市中心幼儿园", OrgKind.DIRECT),
    ("朝阳国际实验学校", OrgKind.DIRECT),
    ("科达职业技术学校", OrgKind.DIRECT),
]

# Two schools per county bureau, each with its party branches.
COUNTY_SCHOOLS = {
    "安化县教体局": [
        ("安化县第一中学", ["安化一中第一党支部", "安化一中第二党支部"]),
        ("安化县东坪镇中学", ["东坪镇中学党支部"]),
    ],
    "桃江县教育局": [("桃江县第一中学", ["桃江一中教工党支部"]), ("桃江县桃花江实验小学", ["桃花江实验小学党支部"])],
    "资阳区教育局": [("资阳区第一中学", ["资阳一中党支部"]), ("资阳区长春镇中学", ["长春镇中学党支部"])],
    "赫山区教育局": [
        ("赫山区第一中学", ["赫山一中第一党支部", "赫山一中第二党支部"]),
        ("赫山区实验小学", ["赫山区实验小学党支部"]),
    ],
    "沅江市教育局": [
        ("沅江市第一中学", ["沅江一中第一党支部", "沅江一中第二党支部"]),
        ("沅江市琼湖中学", ["琼湖中学党支部"]),
    ],
    "南县教育局": [("南县第一中学", ["南县一中党支部"]), ("南县城西学校", ["城西学校党支部"])],
    "大通湖区教育和卫生健康局": [
        ("大通湖区第一中学", ["大通湖一中党支部"]),
        ("大通湖区河坝镇中学", ["河坝镇中学党支部"]),
    ],
}

# A direct unit is itself the school level; a few of them get branches.
DIRECT_BRANCHES = {
    "湖南城市学院": ["文学与新闻传播学院教工党支部"],
    "益阳医学高等专科学校": ["基础医学部教工党支部"],
    "益阳职业技术学院": ["信息工程学院教工党支部"],
    "市一中（益阳师范）": ["市一中语文党支部", "市一中理科党支部"],
    "市特殊教育学校": ["市特殊教育学校党支部"],
}


@dataclass(frozen=True)
class Account:
    username: str
    full_name: str
    role: str
    org: str


ROLE_ACCOUNTS = [
    Account("city_admin", "刘文杰", Role.CITY_ADMIN, CITY_NAME),
    Account("city_auditor", "邓慧敏", Role.AUDITOR, CITY_NAME),
    Account("heshan_reviewer", "曹建平", Role.REVIEWER, "赫山区教育局"),
    Account("auditor", "谭晓燕", Role.AUDITOR, "赫山区教育局"),
    Account("school_officer", "彭丽", Role.OFFICER, "赫山区第一中学"),
    Account("branch_secretary", "夏志勇", Role.BRANCH_SECRETARY, "赫山一中第一党支部"),
    Account("branch_secretary2", "熊敏", Role.BRANCH_SECRETARY, "赫山一中第二党支部"),
    Account("direct_officer", "龚建军", Role.OFFICER, "市一中（益阳师范）"),
    Account("direct_reviewer", "符海波", Role.REVIEWER, "市一中（益阳师范）"),
    Account("direct_secretary", "汤丽娟", Role.BRANCH_SECRETARY, "市一中语文党支部"),
    Account("taojiang_officer", "蒋红梅", Role.OFFICER, "桃江县第一中学"),
    Account("taojiang_secretary", "莫志华", Role.BRANCH_SECRETARY, "桃江一中教工党支部"),
    Account("taojiang_reviewer", "罗卫东", Role.REVIEWER, "桃江县教育局"),
]
SUPERUSER = Account("admin", "系统管理员", "", "")

M, F = Sex.MALE, Sex.FEMALE
MASSES, ACTIVIST, DEVELOPMENT = PartyStatus.MASSES, PartyStatus.ACTIVIST, PartyStatus.DEVELOPMENT
PROBATIONARY, FULL = PartyStatus.PROBATIONARY, PartyStatus.FULL


@dataclass(frozen=True)
class Person:
    name: str
    username: str
    sex: str
    birth: str
    org: str
    subject: str
    position: str = ""
    party: str = MASSES
    backbone: bool = False
    titles: str = "一级教师"
    honours: str = ""


# Mentors (培养人 / 培养联系人): type 1 needs 正式党员, type 2 needs 骨干教师.
MENTORS = [
    Person(
        "张建国",
        "mentor_zhang",
        M,
        "1972-03-15",
        "赫山区第一中学",
        "语文",
        "副校长",
        FULL,
        True,
        "高级教师",
        "益阳市骨干教师；2024年度益阳市优秀教师",
    ),
    Person(
        "陈丽华",
        "mentor_chen",
        F,
        "1978-09-02",
        "赫山一中第一党支部",
        "英语",
        "英语教研组长",
        FULL,
        False,
        "高级教师",
        "2023年度赫山区优秀共产党员",
    ),
    Person(
        "刘志强",
        "mentor_liu",
        M,
        "1976-11-20",
        "赫山区第一中学",
        "数学",
        "数学学科带头人",
        MASSES,
        True,
        "高级教师",
        "赫山区数学学科带头人；2022年度湖南省优秀教师",
    ),
    Person(
        "何美玲",
        "mentor_he",
        F,
        "1980-04-08",
        "赫山一中第二党支部",
        "化学",
        "高二年级组长",
        FULL,
        True,
        "高级教师",
        "益阳市骨干教师",
    ),
    Person(
        "周文斌",
        "mentor_zhou",
        M,
        "1974-06-30",
        "市一中语文党支部",
        "语文",
        "教务处主任",
        FULL,
        True,
        "正高级教师",
        "湖南省特级教师；益阳市名师工作室首席名师",
    ),
    Person(
        "徐丽萍",
        "mentor_xu",
        F,
        "1979-12-12",
        "市一中理科党支部",
        "物理",
        "物理教研组长",
        FULL,
        True,
        "高级教师",
        "益阳市骨干教师",
    ),
    Person(
        "黄国平",
        "mentor_huang",
        M,
        "1975-02-18",
        "桃江一中教工党支部",
        "历史",
        "副校长",
        FULL,
        True,
        "高级教师",
        "桃江县名校长培养对象",
    ),
]

# Candidates (培养对象): type 1 are non-party backbone teachers, type 2 party members.
CANDIDATES = [
    # 赫山区第一中学
    Person("王晓明", "wangxiaoming", M, "1989-05-12", "赫山一中第一党支部", "语文", "高一语文备课组长", MASSES, True),
    Person("李婷", "liting", F, "1991-08-23", "赫山一中第一党支部", "英语", "班主任", ACTIVIST, True),
    Person("杨帆", "yangfan", M, "1993-01-09", "赫山一中第一党支部", "物理", "班主任", FULL, titles="二级教师"),
    Person("赵敏", "zhaomin", F, "1987-10-30", "赫山一中第一党支部", "数学", "数学备课组长", DEVELOPMENT, True),
    Person("孙立", "sunli", M, "1990-04-17", "赫山一中第一党支部", "化学", "", FULL),
    Person("周雅琴", "zhouyaqin", F, "1988-12-05", "赫山一中第一党支部", "生物", "班主任", ACTIVIST, True),
    Person(
        "郑芳",
        "zhengfang",
        F,
        "1986-07-21",
        "赫山一中第一党支部",
        "地理",
        "地理教研组长",
        DEVELOPMENT,
        True,
        "高级教师",
    ),
    Person("吴刚", "wugang", M, "1992-03-03", "赫山一中第一党支部", "体育", "", FULL, titles="二级教师"),
    Person("冯磊", "fenglei", M, "1985-09-14", "赫山一中第一党支部", "历史", "政教处副主任", DEVELOPMENT, True),
    Person("陈静", "chenjing", F, "1990-11-28", "赫山一中第一党支部", "政治", "团委书记", FULL),
    Person(
        "蒋文", "jiangwen", M, "1984-02-19", "赫山一中第一党支部", "数学", "高三年级组长", DEVELOPMENT, True, "高级教师"
    ),
    Person("韩雪", "hanxue", F, "1989-06-06", "赫山一中第一党支部", "音乐", "艺术组组长", FULL),
    Person(
        "曾志明",
        "zengzhiming",
        M,
        "1983-08-08",
        "赫山一中第一党支部",
        "物理",
        "教研室副主任",
        DEVELOPMENT,
        True,
        "高级教师",
    ),
    Person("谢芳", "xiefang", F, "1988-03-25", "赫山一中第一党支部", "英语", "", FULL),
    Person("邹洁", "zoujie", F, "1992-10-10", "赫山一中第一党支部", "美术", "", MASSES, True),
    Person("胡斌", "hubin", M, "1987-05-31", "赫山一中第一党支部", "信息技术", "网络中心主任", FULL),
    Person("袁媛", "yuanyuan", F, "1994-07-16", "赫山一中第二党支部", "语文", "班主任", MASSES, True, "二级教师"),
    Person("邓超", "dengchao", M, "1989-09-09", "赫山一中第二党支部", "化学", "", FULL),
    Person("唐丽", "tangli", F, "1995-04-02", "赫山一中第二党支部", "生物", "", PROBATIONARY, titles="二级教师"),
    Person("丁一凡", "dingyifan", M, "1990-12-24", "赫山一中第二党支部", "数学", "", MASSES, True),
    Person("万军", "wanjun", M, "1991-05-12", "赫山一中第二党支部", "历史", "", ACTIVIST, True),
    # 市一中（益阳师范）
    Person("刘洋", "liuyang", M, "1990-02-14", "市一中理科党支部", "数学", "班主任", MASSES, True),
    Person("彭博", "pengbo", M, "1988-04-27", "市一中语文党支部", "语文", "语文备课组长", ACTIVIST, True),
    Person("易春花", "yichunhua", F, "1986-03-08", "市一中语文党支部", "英语", "", FULL),
    Person("文静", "wenjing", F, "1991-11-11", "市一中语文党支部", "历史", "班主任", DEVELOPMENT, True),
    Person("肖勇", "xiaoyong", M, "1985-06-19", "市一中语文党支部", "政治", "德育处副主任", FULL),
    Person("贺丹", "hedan", F, "1987-01-22", "市一中语文党支部", "语文", "", DEVELOPMENT, True, "高级教师"),
    Person("姚磊", "yaolei", M, "1984-10-03", "市一中语文党支部", "地理", "", DEVELOPMENT, True, "高级教师"),
    Person("钟华", "zhonghua", F, "1989-08-15", "市一中语文党支部", "语文", "", FULL),
    # 桃江县第一中学
    Person("龙飞", "longfei", M, "1986-05-05", "桃江一中教工党支部", "物理", "物理备课组长", DEVELOPMENT, True),
    Person("黎娜", "lina", F, "1990-09-18", "桃江一中教工党支部", "英语", "", FULL),
    Person("石磊", "shilei", M, "1988-07-07", "桃江一中教工党支部", "数学", "", FULL),
    Person("段晓红", "duanxiaohong", F, "1992-12-01", "桃江一中教工党支部", "语文", "班主任", ACTIVIST, True),
    Person("任杰", "renjie", M, "1987-03-29", "桃江一中教工党支部", "化学", "", DEVELOPMENT, True),
]

PATH = [
    CaseState.REGISTERED,
    CaseState.PAIRED,
    CaseState.TRAINING,
    CaseState.BRANCH_REVIEW,
    CaseState.UNIT_REVIEW,
    CaseState.CITY_FILING,
    CaseState.COMPLETED,
]

REASONS = {
    "decline": "本学期承担高三毕业班教学任务，精力不足，建议另选培养联系人。",
    "withdraw": "培养记录中本学期典型案例附件上传有误，撤回更正后重新提交。",
    "return_branch": "缺少本学期教育教学论文，请补充后重新提交。",
    "return_unit": "支部大会记录未附表决结果，请支部补充完善后再报。",
    "return_city": "出生年月与人事档案不一致，请核实后重报。",
    "approve": "培养记录齐全，同意。",
    "pause": "休产假，预计明年春季返岗后恢复培养。",
    "exit_transfer": "工作调动，调往长沙市任教，转出本市教育系统。",
    "exit_self": "本人因家庭原因申请暂缓，退出本轮培养。",
    "reject": "培养期内两学期典型案例均未完成，支部大会表决未获通过，本轮不予通过。",
}


@dataclass(frozen=True)
class Story:
    """How far one case got, and what happened on the way."""

    teacher: str
    kind: str
    until: str
    mentors: tuple = ()
    pending: tuple = ()  # mentors who have not yet answered: the case stays at 结对
    declined_by: str = ""  # a mentor who declined the pairing first
    withdrawn: bool = False  # the officer withdrew the submission once (撤回)
    returned_at: tuple = ()  # stages at which a reviewer sent it back once (退回)
    year_offset: int = 0  # 完成年度: 0 this year, -1 last year
    then: str = ""  # "pause", "exit_transfer" / "exit_self" or "reject" (不予通过) after reaching ``until``
    claim: bool = False  # the open task is claimed into its holder's inbox
    ready: bool = False  # in training with the 支部审核 gate met: the officer can submit now
    note: str = ""


K1, K2 = CaseKind.CULTIVATE_MEMBER, CaseKind.CULTIVATE_BACKBONE
S = CaseState

STORIES = [
    # 赫山区第一中学 (county track: branch → 赫山区教育局 → city)
    Story("王晓明", K1, S.REGISTERED, note="2026年秋季学期登记"),
    Story("袁媛", K1, S.REGISTERED, declined_by="张建国"),
    Story("李婷", K1, S.PAIRED, mentors=("陈丽华", "张建国"), pending=("张建国",)),
    Story("杨帆", K2, S.PAIRED, mentors=("刘志强",), pending=("刘志强",)),
    Story("赵敏", K1, S.TRAINING, mentors=("张建国",), claim=True),
    Story("孙立", K2, S.TRAINING, mentors=("何美玲",), ready=True),
    Story("周雅琴", K1, S.BRANCH_REVIEW, mentors=("陈丽华",), withdrawn=True),
    Story("邓超", K2, S.BRANCH_REVIEW, mentors=("刘志强",)),
    Story("郑芳", K1, S.UNIT_REVIEW, mentors=("张建国", "陈丽华"), returned_at=("unit",)),
    Story("吴刚", K2, S.UNIT_REVIEW, mentors=("刘志强",), claim=True),
    Story("冯磊", K1, S.CITY_FILING, mentors=("陈丽华",)),
    Story("陈静", K2, S.CITY_FILING, mentors=("何美玲",), returned_at=("city",), claim=True),
    Story("蒋文", K1, S.COMPLETED, mentors=("张建国",)),
    Story("韩雪", K2, S.COMPLETED, mentors=("刘志强",), returned_at=("branch",)),
    Story("曾志明", K1, S.COMPLETED, mentors=("陈丽华",), year_offset=-1),
    Story("谢芳", K2, S.COMPLETED, mentors=("何美玲",), year_offset=-1),
    Story("邹洁", K1, S.TRAINING, mentors=("陈丽华",), then="pause"),
    Story("胡斌", K2, S.TRAINING, mentors=("刘志强",), then="exit_transfer"),
    Story("丁一凡", K1, S.PAIRED, mentors=("何美玲",), pending=("何美玲",), then="exit_self"),
    Story("唐丽", K2, S.REGISTERED),
    Story("万军", K1, S.BRANCH_REVIEW, mentors=("张建国",), then="reject"),
    # 市一中（益阳师范） (direct unit: branch → 市一中 → city, no county step)
    Story("刘洋", K1, S.REGISTERED),
    Story("彭博", K1, S.PAIRED, mentors=("周文斌",), pending=("周文斌",)),
    Story("易春花", K2, S.TRAINING, mentors=("徐丽萍",), claim=True),
    Story("文静", K1, S.BRANCH_REVIEW, mentors=("周文斌",)),
    Story("肖勇", K2, S.UNIT_REVIEW, mentors=("徐丽萍",)),
    Story("贺丹", K1, S.CITY_FILING, mentors=("周文斌", "徐丽萍")),
    Story("姚磊", K1, S.COMPLETED, mentors=("周文斌",)),
    Story("钟华", K2, S.COMPLETED, mentors=("周文斌",), year_offset=-1),
    # 桃江县第一中学
    Story("段晓红", K1, S.TRAINING, mentors=("黄国平",)),
    Story("任杰", K1, S.BRANCH_REVIEW, mentors=("黄国平",)),
    Story("石磊", K2, S.UNIT_REVIEW, mentors=("黄国平",)),
    Story("龙飞", K1, S.COMPLETED, mentors=("黄国平",)),
    Story("黎娜", K2, S.COMPLETED, mentors=("黄国平",)),
]

# Teachers who are not (yet) in any case, so every unit has people on its lists.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁"
    "魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
GIVEN = [
    "建华",
    "丽娟",
    "志刚",
    "海燕",
    "晓东",
    "春梅",
    "国强",
    "秀英",
    "卫国",
    "红霞",
    "文杰",
    "桂兰",
    "小平",
    "慧敏",
    "永红",
    "建军",
    "玉兰",
    "德明",
    "淑珍",
    "立新",
    "艳",
    "勇",
    "静",
    "军",
    "芳",
    "磊",
    "敏",
    "涛",
    "燕",
    "超",
    "鹏",
    "颖",
    "婷婷",
    "佳怡",
    "子豪",
    "思远",
    "雨桐",
    "宇航",
    "欣怡",
    "浩然",
]
SCHOOL_SUBJECTS = ["语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "政治", "音乐", "体育", "美术"]
COLLEGE_SUBJECTS = [
    "思想政治理论",
    "大学英语",
    "计算机应用",
    "机械制造",
    "护理学",
    "临床医学",
    "会计学",
    "视觉传达设计",
    "学前教育",
    "特殊教育",
    "汽车维修",
    "电子商务",
]
COLLEGES = {
    "湖南城市学院",
    "湖南工艺美院",
    "湖南兵器工业高级技工学校",
    "益阳医学高等专科学校",
    "益阳职业技术学院",
    "益阳广播电视大学",
    "益阳高级技工学校",
    "科达职业技术学校",
}


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


RECORD_TEXT = {
    CaseKind.CULTIVATE_MEMBER: [
        "围绕入党动机谈心谈话，了解思想状况，推荐阅读《中国共产党章程》。",
        "一同参加支部主题党日活动，会后交流体会，对方表示将按党员标准要求自己。",
    ],
    CaseKind.CULTIVATE_BACKBONE: [
        "听课两节并评课，指出课堂提问层次不够，约定下周再听一次。",
        "指导其上校级示范课，课后集体研讨，教学设计明显改进。",
    ],
}
OPINION_TEXT = {
    CaseKind.CULTIVATE_MEMBER: "该同志入党动机端正，培养期内表现良好，同意提交支部审核。",
    CaseKind.CULTIVATE_BACKBONE: "该同志教学能力明显提升，已能独立承担示范课，同意提交审核。",
}
WORK_TITLES = {"case_study": "一次家校沟通的典型案例", "paper": "提问设计与课堂思维品质"}
# A small but real PDF for the demo's semester work (with its cross-reference table: uploads
# must parse, see services/attachments.py).
DEMO_PDF = (
    b"%PDF-1.3\n1 0 obj\n<<\n/Producer (pypdf)\n>>\nendobj\n2 0 obj\n<<\n/Type /Pages\n/Count 1\n/Kids [ 4 0 R ]\n>>\n"
    b"endobj\n3 0 obj\n<<\n/Type /Catalog\n/Pages 2 0 R\n>>\nendobj\n4 0 obj\n<<\n/Type /Page\n/Resources <<\n>>\n"
    b"/MediaBox [ 0.0 0.0 595 842 ]\n/Parent 2 0 R\n>>\nendobj\nxref\n0 5\n0000000000 65535 f \n0000000009 00000 n \n"
    b"0000000048 00000 n \n0000000107 00000 n \n0000000156 00000 n \n"
    b"trailer\n<<\n/Size 5\n/Root 3 0 R\n/Info 1 0 R\n>>\nstartxref\n250\n%%EOF\n"
)


class Command(BaseCommand):
    help = (
        "生成演示数据：市委教育工委、附件1的19个单位、学校与支部、教师、各角色演示账号，"
        "以及处于各个阶段的培养案例。可重复运行。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEMO_PASSWORD, help=f"演示账号的密码（默认 {DEMO_PASSWORD}）")

    def handle(self, *args, password: str, **options):
        if Organisation.objects.filter(kind=OrgKind.CITY, parent__isnull=True, name=CITY_NAME).exists():
            self.stdout.write(f"已存在“{CITY_NAME}”，演示数据此前已生成，本次未做任何修改。")
            self._print_accounts(password, existing=True)
            return
        self.password = password
        self.this_year = timezone.localdate().year
        with transaction.atomic():
            self._build_tree()
            self._build_accounts()
            self._build_teachers()
            for story in STORIES:
                self._play(story)
            self._age_demo_data()
            self._reports()
            self._working_year_plan()  # 三年计划 covering this year (after 2019—2021)
            # 评优 results and party admissions for the two 80% targets, this year and last.
            seed_outcomes()
            self._demo_posts_and_lessons()
            self._paper_contest()  # 双培论文评比
            self._pairs_and_measures()  # 结对帮带 and 培养教育的具体措施
            self._professional_files()  # 一人一档
            self._principals_and_bulletin()  # 名校长 (长沙's measure) and an issued 半年通报
        self._print_summary()
        self._print_accounts(password, existing=False)

    # --- organisations, accounts and teachers ------------------------------------------

    def _org(self, name, kind, parent, sort_order) -> Organisation:
        org = Organisation.objects.create(name=name, kind=kind, parent=parent, sort_order=sort_order)
        assert name not in self.orgs, f"duplicate organisation name in seed data: {name}"
        self.orgs[name] = org
        return org

    def _build_tree(self) -> None:
        self.orgs: dict[str, Organisation] = {}
        city = self._org(CITY_NAME, OrgKind.CITY, None, 0)
        for order, (unit_name, kind) in enumerate(UNITS, start=1):
            unit = self._org(unit_name, kind, city, order)
            for s_order, (school_name, branches) in enumerate(COUNTY_SCHOOLS.get(unit_name, []), start=1):
                school = self._org(school_name, OrgKind.SCHOOL, unit, s_order)
                for b_order, branch_name in enumerate(branches, start=1):
                    self._org(branch_name, OrgKind.BRANCH, school, b_order)
            for b_order, branch_name in enumerate(DIRECT_BRANCHES.get(unit_name, []), start=1):
                self._org(branch_name, OrgKind.BRANCH, unit, b_order)

    def _user(self, username: str, full_name: str, **extra):
        user = get_user_model()(username=username, first_name=full_name, **extra)
        user.set_password(self.password)
        user.save()
        return user

    def _build_accounts(self) -> None:
        for account in ROLE_ACCOUNTS:
            user = self._user(account.username, account.full_name)
            RoleAssignment.objects.create(user=user, org=self.orgs[account.org], role=account.role)
        self._user(SUPERUSER.username, SUPERUSER.full_name, is_staff=True, is_superuser=True)

    def _teacher(self, p: Person) -> Teacher:
        user = self._user(p.username, p.name) if p.username else None
        return Teacher.objects.create(
            name=p.name,
            sex=p.sex,
            birth_date=datetime.date.fromisoformat(p.birth),
            org=self.orgs[p.org],
            subject=p.subject,
            position=p.position,
            party_status=p.party,
            titles=p.titles,
            is_backbone=p.backbone,
            honours=p.honours,
            user=user,
        )

    def _build_teachers(self) -> None:
        self.teachers: dict[str, Teacher] = {}
        for person in MENTORS + CANDIDATES:
            assert person.name not in self.teachers, f"duplicate teacher name in seed data: {person.name}"
            self.teachers[person.name] = self._teacher(person)
        # A few more teachers in every school, branch and direct unit, not (yet) in any case.
        rng = random.Random(20190415)
        taken = set(self.teachers)
        homes = [
            org
            for org in self.orgs.values()
            if org.kind == OrgKind.BRANCH or (org.kind == OrgKind.DIRECT and org.name not in DIRECT_BRANCHES)
        ]
        for home in homes:
            unit_name = Organisation.objects.get(pk=home.unit_id).name
            subjects = COLLEGE_SUBJECTS if unit_name in COLLEGES else SCHOOL_SUBJECTS
            profiles = [(FULL, True, "高级教师"), (MASSES, True, "一级教师"), (MASSES, False, "二级教师")]
            for party, backbone, titles in profiles:
                name = ""
                while not name or name in taken:
                    name = rng.choice(SURNAMES) + rng.choice(GIVEN)
                taken.add(name)
                birth = datetime.date(rng.randint(1968, 1996), rng.randint(1, 12), rng.randint(1, 28))
                Teacher.objects.create(
                    name=name,
                    sex=rng.choice([M, F]),
                    birth_date=birth,
                    org=home,
                    subject=rng.choice(subjects),
                    party_status=party,
                    is_backbone=backbone,
                    titles=titles,
                )

    # --- cases, through the services -----------------------------------------------------

    def _holder(self, role: str, org: Organisation):
        return users_holding(role, org).first()

    def _officer_for(self, org: Organisation):
        return self._holder(Role.OFFICER, nearest_org_with_role(org, Role.OFFICER))

    def _open_tasks(self, case: Case) -> list[CaseTask]:
        return list(
            CaseTask.objects.filter(case=case, flow_task_type="HUMAN", status__in=OPEN_TASK_STATUSES)
            .exclude(flow_task__in=off_lifecycle_nodes())
            .select_related("org", "owner")
            .order_by("id")
        )

    def _task(self, case: Case, node) -> CaseTask:
        tasks = [t for t in self._open_tasks(case) if t.flow_task == node]
        assert len(tasks) == 1, f"{case}: expected one open {node} task, found {len(tasks)}"
        return tasks[0]

    def _do(self, case: Case, node, service, **kwargs) -> Case:
        """Perform the open ``node`` task of ``case`` as the person whose task it is."""
        task = self._task(case, node)
        actor = task.owner or self._holder(task.role, task.org)
        return service(actor=actor, task_id=task.pk, **kwargs)

    def _accept_task(self, case: Case, mentor: Teacher) -> CaseTask:
        tasks = [t for t in self._open_tasks(case) if t.flow_task == CaseFlow.accept and t.owner_id == mentor.user_id]
        assert len(tasks) == 1, f"{case}: no open acceptance task for {mentor}"
        return tasks[0]

    def _pair(self, case: Case, mentors: list[Teacher]) -> Case:
        return self._do(case, CaseFlow.pair, svc.case_pair, mentor_ids=[m.pk for m in mentors])

    def _play(self, story: Story) -> None:
        teacher = self.teachers[story.teacher]
        officer = self._officer_for(teacher.org)
        reached = PATH.index(story.until)
        case = svc.case_register(actor=officer, teacher_id=teacher.pk, kind=story.kind, note=story.note)

        if story.declined_by:
            declining = self.teachers[story.declined_by]
            case = self._pair(case, [declining])
            task = self._accept_task(case, declining)
            case = svc.mentor_decline(actor=declining.user, task_id=task.pk, reason=REASONS["decline"])

        if reached >= PATH.index(S.PAIRED):
            mentors = [self.teachers[name] for name in story.mentors]
            case = self._pair(case, mentors)
            for mentor in mentors:
                if mentor.name not in story.pending:
                    case = svc.mentor_accept(actor=mentor.user, task_id=self._accept_task(case, mentor).pk)

        if reached >= PATH.index(S.TRAINING):
            self._train(case, complete=story.ready or reached >= PATH.index(S.BRANCH_REVIEW))

        if reached >= PATH.index(S.BRANCH_REVIEW):
            case = self._do(case, CaseFlow.submit, svc.case_submit)
            if story.withdrawn:
                case = svc.case_withdraw(actor=officer, case_id=case.pk, reason=REASONS["withdraw"])
                case = self._do(case, CaseFlow.submit, svc.case_submit)
            if "branch" in story.returned_at:
                case = self._do(case, CaseFlow.branch_review, svc.case_return, reason=REASONS["return_branch"])
                case = self._do(case, CaseFlow.submit, svc.case_submit)

        if reached >= PATH.index(S.UNIT_REVIEW):
            case = self._do(case, CaseFlow.branch_review, svc.case_approve, reason=REASONS["approve"])
            if "unit" in story.returned_at:
                case = self._do(case, CaseFlow.unit_review, svc.case_return, reason=REASONS["return_unit"])
                case = self._do(case, CaseFlow.branch_review, svc.case_approve, reason="已补充支部大会表决结果。")

        if reached >= PATH.index(S.CITY_FILING):
            case = self._do(case, CaseFlow.unit_review, svc.case_approve, reason=REASONS["approve"])
            if "city" in story.returned_at:
                case = self._do(case, CaseFlow.city_filing, svc.case_return, reason=REASONS["return_city"])
                case = self._do(case, CaseFlow.unit_review, svc.case_approve, reason="已按人事档案核实更正。")

        if reached >= PATH.index(S.COMPLETED):
            year = self.this_year + story.year_offset
            case = self._do(case, CaseFlow.city_filing, svc.case_file, year=year)
            self._after_completion(case, officer, year)

        if story.then == "pause":
            case = svc.case_pause(actor=officer, case_id=case.pk, reason=REASONS["pause"])
        elif story.then.startswith("exit"):
            case = svc.case_exit(actor=officer, case_id=case.pk, reason=REASONS[story.then])
        elif story.then == "reject":
            (task,) = self._open_tasks(case)
            case = svc.case_reject(actor=self._holder(task.role, task.org), task_id=task.pk, reason=REASONS["reject"])

        if story.claim:
            (task,) = self._open_tasks(case)
            task_claim(actor=self._holder(task.role, task.org), task_id=task.pk)

        case.refresh_from_db()
        expected = {"pause": S.PAUSED, "reject": S.REJECTED}.get(story.then, S.EXITED if story.then else story.until)
        assert case.state == expected, f"{case}: ended at {case.state}, expected {expected}"

    def _train(self, case: Case, *, complete: bool) -> None:
        """Give a case in training a past: records, semester work and, if it goes on to review, the gate met.

        The training clock is set back (a year and more for cases that go on to review, a
        few months for those still in training); everything else goes through the services.
        """
        today = timezone.localdate()
        days = (420 if case.kind == CaseKind.CULTIVATE_MEMBER else 220) if complete else 100
        started = today - datetime.timedelta(days=days)
        Case.objects.filter(pk=case.pk).update(
            training_started_on=started,
            registered_at=timezone.make_aware(datetime.datetime.combine(started, datetime.time(9, 0)))
            - datetime.timedelta(days=20),
        )
        with locked_case(case.pk) as locked:
            training.sync_obligations(locked)
        kinds = KINDS_FOR_CASE[case.kind]
        for mentor in training.accepted_mentors(case):
            for n, back in enumerate((days - 30, days - 60)):
                record_svc.record_write(
                    actor=mentor.teacher.user,
                    case_id=case.pk,
                    date=today - datetime.timedelta(days=back) if back > 0 else today,
                    kind=kinds[n % (len(kinds) - 1)],
                    content=RECORD_TEXT[case.kind][n],
                )
        submits = [t for t in self._training_tasks(case) if t.flow_task == CaseFlow.submit_work]
        if not complete:
            # The first trainee in training has sent a 典型案例 that waits for the mentor.
            if not Case.objects.filter(works__status="submitted").exists() and submits:
                self._submit_work(submits[0])
            return
        for task in submits:
            self._submit_work(task)
        for task in self._training_tasks(case):
            if task.flow_task == CaseFlow.review_work:
                training.work_review(actor=task.owner, task_id=task.pk, accept=True, note="内容充实，同意。")
        for mentor in training.accepted_mentors(case):
            training.opinion_write(actor=mentor.teacher.user, case_id=case.pk, text=OPINION_TEXT[case.kind])

    def _training_tasks(self, case: Case) -> list[CaseTask]:
        return list(
            CaseTask.objects.filter(case=case, flow_task__in=training_nodes(), status__in=OPEN_TASK_STATUSES)
            .select_related("work", "org", "owner")
            .order_by("id")
        )

    def _submit_work(self, task: CaseTask) -> None:
        work = task.work
        title = WORK_TITLES[work.item]
        training.work_submit(
            actor=task.owner or self._holder(task.role, task.org),
            task_id=task.pk,
            title=title,
            summary=f"{work.semester_label}{work.get_item_display()}：{title}。",
            upload=as_upload(f"{work.get_item_display()}.pdf", DEMO_PDF),
        )

    def _age_demo_data(self) -> None:
        """Give the demo a past: everything above happened today, which real data never does.

        Cases completed last year get a registration date two autumns ago, and a few open
        steps are made overdue so that 逾期 shows in the inboxes. Only dates change; the
        states, tasks and audit trail are the services' own.
        """
        last_year = Case.objects.filter(annex2_row__year=self.this_year - 1)
        last_year.update(registered_at=timezone.make_aware(datetime.datetime(self.this_year - 2, 9, 1, 9, 0)))
        this_year = Case.objects.filter(annex2_row__year=self.this_year)
        this_year.update(registered_at=timezone.make_aware(datetime.datetime(self.this_year - 1, 9, 1, 9, 0)))
        overdue = list(
            CaseTask.objects.filter(flow_task_type="HUMAN", status__in=OPEN_TASK_STATUSES)
            .exclude(flow_task=CaseFlow.accept)
            .order_by("id")
            .values_list("pk", flat=True)[::4]
        )
        CaseTask.objects.filter(pk__in=overdue).update(due_at=timezone.now() - datetime.timedelta(days=3))

    def _reports(self) -> None:
        """附件2 rounds: last year's accepted; this year 赫山 accepted, 市一中 awaiting the city,
        桃江 not yet submitted (late after 10 September)."""
        from contextlib import nullcontext
        from unittest import mock

        from workflows.flows import AnnualReportFlow
        from workflows.models import ReportTask
        from workflows.services import reports

        def task(unit, node):
            return ReportTask.objects.get(process__unit=unit, flow_task=node, status__in=OPEN_TASK_STATUSES)

        def at(moment):
            # Done at that moment (the frozen table, its events and tasks all dated then), not
            # re-dated afterwards: the audit chain covers the frozen table (workflows/chain.py).
            return mock.patch("django.utils.timezone.now", lambda: moment) if moment else nullcontext()

        def submit(unit, year, *, accept: bool, submitted=None, reviewed=None):
            reports.report_round_open(unit=unit, year=year)
            reviewer = self._holder(Role.REVIEWER, unit)
            with at(submitted):
                report = reports.report_submit(actor=reviewer, task_id=task(unit, AnnualReportFlow.prepare).pk)
            if accept:
                city_admin = self._holder(Role.CITY_ADMIN, Organisation.objects.get(name=CITY_NAME))
                with at(reviewed):
                    reports.report_accept(
                        actor=city_admin, task_id=task(unit, AnnualReportFlow.review).pk, note="已收到"
                    )
            return report

        units = {
            u.name: u
            for u in Organisation.objects.filter(name__in=["赫山区教育局", "桃江县教育局", "市一中（益阳师范）"])
        }
        last = self.this_year - 1
        for unit in units.values():
            # Last year's table reached the city in early September, as it should.
            submit(
                unit,
                last,
                accept=True,
                submitted=timezone.make_aware(datetime.datetime(last, 9, 5, 10, 0)),
                reviewed=timezone.make_aware(datetime.datetime(last, 9, 8, 15, 0)),
            )
        submit(units["赫山区教育局"], self.this_year, accept=True)
        submit(units["市一中（益阳师范）"], self.this_year, accept=False)
        reports.annex2_rounds_sync()
        self._plans()

    def _plans(self) -> None:
        """附件1 imported from docs/samples (its stated 80 is flagged); 赫山 has submitted its
        year breakdown to the city, 市一中's is approved, 桃江's waits for the unit."""
        from pathlib import Path

        from django.conf import settings

        from workflows.flows import PlanFlow
        from workflows.models import ReportTask
        from workflows.services import quotas, reports

        sample = Path(settings.BASE_DIR) / "docs" / "samples" / "附件1_三年实施计划指导性任务表_2019-2021.xlsx"
        city_admin = self._holder(Role.CITY_ADMIN, Organisation.objects.get(name=CITY_NAME))
        plan = quotas.import_quota(actor=city_admin, content=sample.read_bytes(), filename=sample.name)

        def task(unit_name, node):
            return ReportTask.objects.get(
                process__plan=plan, process__unit__name=unit_name, flow_task=node, status__in=OPEN_TASK_STATUSES
            )

        def breakdown(unit_name, per_year):
            unit = Organisation.objects.get(name=unit_name)
            data = {
                f"{year}_{kind}": n
                for kind, numbers in per_year.items()
                for year, n in zip(plan.years, numbers, strict=True)
            }
            reviewer = self._holder(Role.REVIEWER, unit)
            reports.plan_submit(actor=reviewer, task_id=task(unit_name, PlanFlow.prepare).pk, data=data)
            return data

        breakdown("赫山区教育局", {"1": [20, 20, 20], "2": [30, 35, 35]})
        data = breakdown("市一中（益阳师范）", {"1": [1, 1, 1], "2": [1, 1, 1]})
        reports.plan_approve(
            actor=city_admin, task_id=task("市一中（益阳师范）", PlanFlow.review).pk, data=data, note="同意"
        )

    def _working_year_plan(self) -> None:
        """A three-year plan from this year, started by the city copying 2019—2021's numbers, so
        the plans page, the dashboard and the forecast speak of this year: 赫山's breakdown is
        approved, 市一中's waits for the city (whose page shows the city-wide check), the other
        units have not broken theirs down yet."""
        from workflows.flows import PlanFlow
        from workflows.models import Quota, QuotaPlan, ReportTask
        from workflows.services import reports
        from workflows.services.plan_start import plan_start

        if QuotaPlan.objects.filter(last_year__gte=self.this_year).exists():
            return  # a year belongs to one plan; 2019—2021 is the only plan before this
        city_admin = self._holder(Role.CITY_ADMIN, Organisation.objects.get(name=CITY_NAME))
        plan = plan_start(
            actor=city_admin,
            first_year=self.this_year,
            title="益阳市教育系统“双培”工程三年实施计划指导性任务表",  # the years follow the title
            source="copy",
        )

        def submit(unit_name):
            unit = Organisation.objects.get(name=unit_name)
            data = {}
            for kind, total in Quota.objects.filter(plan=plan, unit=unit).values_list("kind", "total"):
                share, extra = divmod(total, len(plan.years))
                for i, year in enumerate(plan.years):
                    data[f"{year}_{kind}"] = share + (1 if i >= len(plan.years) - extra else 0)
            task = ReportTask.objects.get(process__plan=plan, process__unit=unit, flow_task=PlanFlow.prepare)
            reports.plan_submit(actor=self._holder(Role.REVIEWER, unit), task_id=task.pk, data=data)
            return data

        data = submit("赫山区教育局")
        review = ReportTask.objects.get(
            process__plan=plan, process__unit__name="赫山区教育局", flow_task=PlanFlow.review
        )
        reports.plan_approve(actor=city_admin, task_id=review.pk, data=data, note="同意")
        submit("市一中（益阳师范）")

    def _after_completion(self, case: Case, officer, year: int) -> None:
        """What completion means for the teacher's record, entered by the officer (and audited)."""
        teacher = Teacher.objects.get(pk=case.teacher_id)
        if case.kind == CaseKind.CULTIVATE_MEMBER:
            teacher_update(
                actor=officer,
                teacher_id=teacher.pk,
                party_status=PartyStatus.PROBATIONARY,
                reason=f"{year}年经支部大会讨论通过，接收为预备党员。",
            )
        else:
            honours = "；".join(filter(None, [teacher.honours, f"{year}年度认定为{case.unit.name[:3]}骨干教师"]))
            teacher_update(
                actor=officer,
                teacher_id=teacher.pk,
                is_backbone=True,
                honours=honours,
                reason=f"{year}年认定为骨干教师。",
            )

    # --- 示范岗 and 示范课 (§三(三)–(四)) -------------------------------------------------------

    def _demo_posts_and_lessons(self) -> None:
        """党员示范岗 at 赫山区第一中学 (two certified, two waiting, one 示范班) and at 市一中 (one
        certified), so the coverage table shows both what is there and the gaps; a 示范课 held
        last week and a 名家授课 next week. Through the services, as the real roles."""
        from workflows.models import DemoLesson, DemoPostKind, LessonKind
        from workflows.services import demo as demo_svc

        heshan, direct = self.orgs["赫山区第一中学"], self.orgs["市一中（益阳师范）"]
        officer, reviewer = self._holder(Role.OFFICER, heshan), self._holder(Role.REVIEWER, self.orgs["赫山区教育局"])
        d_officer, d_reviewer = self._holder(Role.OFFICER, direct), self._holder(Role.REVIEWER, direct)
        posts = [
            (officer, reviewer, "张建国", DemoPostKind.POST, "语文教学党员示范岗", True),
            (officer, reviewer, "陈丽华", DemoPostKind.POST, "英语教研党员示范岗", True),
            (officer, reviewer, "何美玲", DemoPostKind.POST, "化学实验党员示范岗", False),
            (officer, reviewer, "杨帆", DemoPostKind.POST, "物理学科党员示范岗", False),
            (officer, reviewer, "吴刚", DemoPostKind.CLASS, "高二（3）班党员示范班", True),
            (d_officer, d_reviewer, "周文斌", DemoPostKind.POST, "语文教学党员示范岗", True),
        ]
        for declarer, decider, name, kind, title, certify in posts:
            post = demo_svc.demo_post_declare(
                actor=declarer,
                teacher_id=self.teachers[name].pk,
                kind=kind,
                subject="",
                title=title,
                commitment="亮身份、作表率：每学期开放课堂不少于4次，结对帮带1名青年教师。",
            )
            if certify:
                demo_svc.demo_post_decide(actor=decider, post_id=post.pk, certify=True, note="符合条件，予以授牌。")
        now = timezone.now()
        held = demo_svc.demo_lesson_schedule(
            actor=officer,
            school_id=heshan.pk,
            kind=LessonKind.DEMO,
            teacher_id=self.teachers["张建国"].pk,
            title="《背影》整本书阅读示范课",
            scheduled_for=now + datetime.timedelta(hours=1),
            place="学术报告厅",
        )
        # It was held last week: only its date moves back (as _age_demo_data does for cases).
        DemoLesson.objects.filter(pk=held.pk).update(scheduled_for=now - datetime.timedelta(days=7))
        demo_svc.demo_lesson_record(
            actor=officer, lesson_id=held.pk, attendees=46, record="语文组全体教师及青年教师听课，课后集体评课。"
        )
        demo_svc.demo_lesson_schedule(
            actor=officer,
            school_id=heshan.pk,
            kind=LessonKind.GUEST,
            teacher_id=None,
            guest_name="魏书生",
            subject="班主任工作",
            title="班级管理的民主与科学",
            scheduled_for=(now + datetime.timedelta(days=7)).replace(hour=6, minute=30, second=0, microsecond=0),
            place="大礼堂",
        )

    # --- 双培论文评比 (§三(四)) ---------------------------------------------------------------

    def _paper_contest(self) -> None:
        """The year's 论文评比, published: every accepted 论文 of the year's semesters under its
        code, two unit judges per unit (appointed by the unit's 审核人), the unit recommends its
        top 30% and the city (刘文杰, its own judge here) scores them; the results and awards show
        on the contest page and on each case page. Through the services, as the real roles."""
        from workflows.access import contest as contest_rules
        from workflows.models import SemesterWork, WorkItem, WorkStatus
        from workflows.models.programme import JudgeLevel
        from workflows.services import contest as contest_svc

        papers = SemesterWork.objects.filter(item=WorkItem.PAPER, status=WorkStatus.ACCEPTED)
        year = max((w.semester_start.year for w in papers), default=None)
        if year is None:
            return  # the August holiday: no semester, no papers to judge
        city_admin = self._holder(Role.CITY_ADMIN, self.orgs[CITY_NAME])
        contest = contest_svc.contest_open(actor=city_admin, year=year, title="")
        rng = random.Random(year)
        units = Organisation.objects.filter(pk__in=contest.entries.values("unit_id")).order_by("sort_order", "id")
        judging = []
        for unit in units:
            reviewer = self._holder(Role.REVIEWER, unit)
            if reviewer is None:
                continue
            officials = (
                RoleAssignment.objects.active()
                .filter(org__path__startswith=unit.path, role__in=(Role.OFFICER, Role.BRANCH_SECRETARY))
                .select_related("user")
                .order_by("org__path", "role", "user__username")
            )
            judges = []
            for assignment in officials:
                if assignment.user not in judges and len(judges) < 2:
                    judges.append(assignment.user)
            for judge in judges:
                contest_svc.contest_judge_appoint(
                    actor=reviewer, contest_id=contest.pk, judge_user=judge, level=JudgeLevel.UNIT, unit_id=unit.pk
                )
            judging.append((unit, reviewer, judges))
        contest_svc.contest_judge_appoint(
            actor=city_admin, contest_id=contest.pk, judge_user=city_admin, level=JudgeLevel.CITY
        )
        contest = contest_svc.contest_advance(actor=city_admin, contest_id=contest.pk, from_state=contest.state)
        comments = ["选题贴近课堂，论证清楚。", "案例典型，反思深入。", "结构完整，可进一步提炼观点。", ""]
        for unit, reviewer, judges in judging:
            unit_entries = list(contest.entries.filter(unit=unit).select_related("work__case"))
            for entry in unit_entries:
                for judge in judges:
                    if contest_rules.conflict(judge, entry):
                        continue
                    contest_svc.contest_score(
                        actor=judge,
                        entry_id=entry.pk,
                        score=Decimal(rng.randint(6500, 9600)) / 100,
                        comment=rng.choice(comments),
                    )
            means = contest_svc.unit_means(contest)
            ranked = sorted((e for e in unit_entries if e.pk in means), key=lambda e: -means[e.pk])
            top = ranked[: contest_rules.advance_limit(len(unit_entries))]
            if top:
                contest_svc.contest_recommend(
                    actor=reviewer, contest_id=contest.pk, unit_id=unit.pk, entry_ids=[e.pk for e in top]
                )
        if not contest.entries.filter(advanced=True).exists():
            return  # left in 单位评审: nothing was scored
        contest = contest_svc.contest_advance(actor=city_admin, contest_id=contest.pk, from_state=contest.state)
        # The city's marks spread over every band, best unit score first.
        marks = ["94.50", "91.00", "87.50", "84.00", "81.50", "76.00", "72.50", "68.00", "63.50", "57.00"]
        advanced = contest.entries.filter(advanced=True).order_by("-unit_score", "code")
        for n, entry in enumerate(advanced):
            contest_svc.contest_score(
                actor=city_admin, entry_id=entry.pk, score=Decimal(marks[n % len(marks)]), comment="观点鲜明。"
            )
        contest_svc.contest_publish(actor=city_admin, contest_id=contest.pk)

    # --- 结对帮带 and 培养教育的具体措施 (§三(二)) ---------------------------------------------

    def _pairs_and_measures(self) -> None:
        """结对帮带 at 赫山区第一中学 (two 老人带新人, two 骨干带党员, one ended) and at 市一中, each
        open pair with activities written by its teachers; 培养措施 for cases in training: 赵敏's
        returned once and approved as version 2, 段晓红's approved, 孙立's waiting for the
        branch. Through the services, as the real roles."""
        from workflows.access import pairs as pair_rules
        from workflows.models import ActivityForm, PairKind
        from workflows.services import pairs as pair_svc

        today = timezone.localdate()
        heshan, direct = self.orgs["赫山区第一中学"], self.orgs["市一中（益阳师范）"]
        officer, d_officer = self._holder(Role.OFFICER, heshan), self._holder(Role.OFFICER, direct)
        t = self.teachers
        pairs = [
            # (officer, kind, senior, junior, focus, goals, days ago, activities, ended reason)
            (
                officer,
                PairKind.SENIOR_JUNIOR,
                "张建国",
                "袁媛",
                ["ethics", "teaching"],
                "一学年内站稳讲台，独立承担一节校级公开课。",
                90,
                [
                    (60, ActivityForm.OBSERVATION, "张建国", "听袁媛《荷塘月色》一课，指导课堂提问的层次设计。"),
                    (30, ActivityForm.TALK, "袁媛", "向张校长请教班级管理与家校沟通，整理了三条改进做法。"),
                ],
                "",
            ),
            (
                officer,
                PairKind.SENIOR_JUNIOR,
                "陈丽华",
                "唐丽",
                ["talent", "research"],
                "参与英语组课题研究，完成一篇教学论文。",
                80,
                [(20, ActivityForm.RESEARCH, "陈丽华", "读写结合的作业设计，唐丽承担案例分享。")],
                "",
            ),
            (
                officer,
                PairKind.BACKBONE_MEMBER,
                "刘志强",
                "吴刚",
                [],
                "提升课堂教学与命题能力。",
                70,
                [
                    (50, ActivityForm.SUPERVISION, "刘志强", "检查教案与作业批改，提出分层作业建议。"),
                    (15, ActivityForm.OBSERVATION, "刘志强", "体育课运动负荷安排与安全预案。"),
                    (10, ActivityForm.TALK, "吴刚", "汇报改进情况，约定下月集体备课。"),
                ],
                "",
            ),
            (
                officer,
                PairKind.BACKBONE_MEMBER,
                "王晓明",
                "孙立",
                [],
                "化学实验教学与信息技术融合。",
                60,
                [(25, ActivityForm.LESSON_PREP, "王晓明", "设计“氧化还原反应”微课。")],
                "",
            ),
            (
                officer,
                PairKind.SENIOR_JUNIOR,
                "何美玲",
                "邓超",
                ["teaching"],
                "熟悉高二化学教学要求。",
                200,
                [(150, ActivityForm.OBSERVATION, "何美玲", "实验课的分组与安全组织。")],
                "帮带期满，邓超已能独立承担高二化学教学。",
            ),
            (
                d_officer,
                PairKind.SENIOR_JUNIOR,
                "周文斌",
                "钟华",
                ["ethics", "talent", "teaching", "research"],
                "在名师工作室内成长为学科骨干。",
                100,
                [(40, ActivityForm.RESEARCH, "周文斌", "名师工作室：群文阅读教学。")],
                "",
            ),
        ]
        for actor, kind, senior, junior, focus, goals, days, activities, ended in pairs:
            pair = pair_svc.pair_add(
                actor=actor,
                kind=kind,
                senior_id=t[senior].pk,
                junior_id=t[junior].pk,
                focus=focus,
                goals=goals,
                started_on=today - datetime.timedelta(days=days),
            )
            for ago, form, writer, content in activities:
                pair_svc.pair_activity_add(
                    actor=t[writer].user,
                    pair_id=pair.pk,
                    date=today - datetime.timedelta(days=ago),
                    form=form,
                    content=content,
                )
            if ended:
                pair_svc.pair_end(actor=actor, pair_id=pair.pk, reason=ended)

        def case_of(name):
            return Case.objects.get(teacher=t[name], state=CaseState.TRAINING)

        def secretary(case):
            return self._holder(Role.BRANCH_SECRETARY, pair_rules.measure_reviewer_org(case))

        plan = (
            "一、每月与培养对象谈心谈话一次，了解其思想、工作和学习情况。\n"
            "二、每季度组织听党课一次，学习党的基本理论、基本路线、基本纲领和基本知识。\n"
            "三、邀请列席接收新党员的支部大会、参加新党员入党宣誓仪式和“主题党日”活动。"
        )
        zhao = case_of("赵敏")
        first = pair_svc.measure_submit(actor=t["张建国"].user, case_id=zhao.pk, text=plan.rsplit("\n", 1)[0])
        pair_svc.measure_review(
            actor=secretary(zhao),
            measure_id=first.pk,
            approve=False,
            note="请补充吸引其参加党的活动的具体安排。",
        )
        second = pair_svc.measure_submit(actor=t["张建国"].user, case_id=zhao.pk, text=plan)
        pair_svc.measure_review(actor=secretary(zhao), measure_id=second.pk, approve=True, note="措施具体，同意。")
        duan = case_of("段晓红")
        measure = pair_svc.measure_submit(actor=t["黄国平"].user, case_id=duan.pk, text=plan)
        pair_svc.measure_review(actor=secretary(duan), measure_id=measure.pk, approve=True)
        sun = case_of("孙立")
        pair_svc.measure_submit(
            actor=t["何美玲"].user,
            case_id=sun.pk,
            text="一、每两周听课指导一次，课后当面评课。\n二、每学期共同完成一次专题教研和一次示范课。",
        )

    # --- 一人一档 (seed 000 §三: 分类建立业务档案和专业发展规划) ------------------------------------

    def _professional_files(self) -> None:
        """业务档案 for some party-member teachers of 赫山区第一中学 and 市一中, with their 专业发展
        规划 (goals achieved, due and overdue); the others stay 未建档, so the list shows both.
        Through the services, as the schools' 党务干部."""
        from workflows.models import SurveyLevel, TargetCategory
        from workflows.services import files as file_svc

        today = timezone.localdate()
        day = lambda n: today + datetime.timedelta(days=n)  # noqa: E731
        heshan, direct = self.orgs["赫山区第一中学"], self.orgs["市一中（益阳师范）"]
        officer, d_officer = self._holder(Role.OFFICER, heshan), self._holder(Role.OFFICER, direct)
        files = [
            # (officer, teacher, level, target, strengths, weaknesses,
            #  goals: (title, due in days from today, achieved days ago or None, evidence))
            (
                officer,
                "孙立",
                SurveyLevel.GOOD,
                TargetCategory.BACKBONE,
                "实验教学扎实，善于设计探究活动。",
                "课堂评价方式单一，教研成果少。",
                [
                    ("上一节校级化学示范课", -20, 25, "示范课《金属的化学性质》，听课教师 32 人。"),
                    ("完成一篇教学论文", -5, None, ""),
                    ("获评区级骨干教师", 300, None, ""),
                ],
            ),
            (
                officer,
                "杨帆",
                SurveyLevel.ADEQUATE,
                TargetCategory.BACKBONE,
                "班级管理有方法，学生评价好。",
                "物理实验课开设不足。",
                [("开齐学科分组实验", 120, None, "")],
            ),
            (
                officer,
                "张建国",
                SurveyLevel.OUTSTANDING,
                TargetCategory.FAMOUS_PRINCIPAL,
                "教学管理经验丰富，带出多名青年骨干。",
                "学校课程规划的理论总结不够。",
                [
                    ("主持一项市级课题", -10, 12, "市级课题《整本书阅读教学研究》立项。"),
                    ("形成学校课程规划方案", 200, None, ""),
                ],
            ),
            (
                d_officer,
                "易春花",
                SurveyLevel.GOOD,
                TargetCategory.FAMOUS_TEACHER,
                "语文教学功底深厚。",
                "信息化教学手段运用不多。",
                [("参加市级优质课比赛", 60, None, "")],
            ),
        ]
        for actor, name, level, target, strengths, weaknesses, goals in files:
            file, _outcome = file_svc.file_save(
                actor=actor,
                teacher_id=self.teachers[name].pk,
                surveyed_on=day(-60),
                level=level,
                target=target,
                strengths=strengths,
                weaknesses=weaknesses,
            )
            for title, due, done_ago, evidence in goals:
                goal = file_svc.goal_add(actor=actor, file_id=file.pk, title=title, due_on=day(due))
                if done_ago is not None:
                    file_svc.goal_update(
                        actor=actor,
                        goal_id=goal.pk,
                        title=title,
                        due_on=goal.due_on,
                        achieved_on=day(-done_ago),
                        evidence=evidence,
                    )

    # --- 名校长 and the issued 半年通报 ---------------------------------------------------------

    def _principals_and_bulletin(self) -> None:
        """A few 名校长 (three of four party members: 长沙's 97% on the 统计看板 has something to
        compare with), and the city's 半年通报 for the half-year under way, issued through the
        service as 刘文杰 (the city's 市级管理员), delivered to every unit; the first three units'
        审核人 (or 党务干部) have signed it, the others not yet."""
        from workflows.services import bulletins as bulletin_svc

        schools = list(Organisation.objects.filter(kind=OrgKind.SCHOOL).order_by("sort_order", "id")[:4])
        principals = [
            ("谭校长", M, "1968-05-12", FULL),
            ("曹校长", F, "1971-10-03", FULL),
            ("文校长", M, "1970-01-26", FULL),
            ("龚校长", F, "1973-07-19", MASSES),
        ]
        for school, (name, sex, birth, party) in zip(schools, principals, strict=False):
            Teacher.objects.create(
                name=name,
                sex=sex,
                birth_date=datetime.date.fromisoformat(birth),
                org=school,
                subject="语文",
                position="校长",
                party_status=party,
                titles="正高级教师",
                is_backbone=True,
                is_famous_principal=True,
                honours="益阳市名校长",
            )
        city_admin = self._holder(Role.CITY_ADMIN, self.orgs[CITY_NAME])
        today = timezone.localdate()
        bulletin = bulletin_svc.bulletin_issue(
            actor=city_admin,
            year=today.year,
            half=1 if today.month <= 6 else 2,
            remark="请各单位对照通报中的问题逐项整改，并于下一次通报前报送整改情况。",
        )
        for receipt in bulletin.receipts.select_related("unit").order_by("unit__sort_order", "unit_id")[:3]:
            signer = self._holder(Role.REVIEWER, receipt.unit) or self._holder(Role.OFFICER, receipt.unit)
            if signer is not None:
                bulletin_svc.bulletin_sign(actor=signer, receipt_id=receipt.pk)

    # --- output -----------------------------------------------------------------------------

    def _print_summary(self) -> None:
        counts = dict(Case.objects.order_by().values_list("state").annotate(n=Count("id")))
        self.stdout.write(
            self.style.SUCCESS(
                f"已生成演示数据：{Organisation.objects.count()} 个组织，{Teacher.objects.count()} 名教师，"
                f"{Case.objects.count()} 个培养案例。"
            )
        )
        self.stdout.write("各阶段案例数：" + "，".join(f"{s.label} {counts.get(s.value, 0)}" for s in CaseState))

    def _print_accounts(self, password: str, *, existing: bool) -> None:
        User = get_user_model()
        rows = []
        for account in ROLE_ACCOUNTS:
            if User.objects.filter(username=account.username).exists():
                rows.append((account.username, Role(account.role).label, account.org, account.full_name))
        if User.objects.filter(username=SUPERUSER.username).exists():
            rows.append((SUPERUSER.username, "系统管理员（/admin/ 后台）", "—", SUPERUSER.full_name))
        mentors = Teacher.objects.filter(user__username__in=[p.username for p in MENTORS]).select_related("user", "org")
        for teacher in sorted(mentors, key=lambda t: [p.username for p in MENTORS].index(t.user.username)):
            rows.append((teacher.user.username, "培养人", teacher.org.name, teacher.name))
        if not rows:
            self.stdout.write("未找到演示账号（数据库中的“市委教育工委”不是由 seed_demo 生成的）。")
            return
        header = ("用户名", "角色", "所在组织", "姓名", "密码")
        table = [header] + [(*row, password) for row in rows]
        widths = [max(display_width(r[i]) for r in table) for i in range(len(header))]
        line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
        self.stdout.write("")
        self.stdout.write("演示账号 / Demo accounts:")
        self.stdout.write(line)
        for i, row in enumerate(table):
            self.stdout.write("| " + " | ".join(pad(cell, widths[j]) for j, cell in enumerate(row)) + " |")
            if i == 0:
                self.stdout.write(line)
        self.stdout.write(line)
        trainees = list(
            Teacher.objects.filter(user__isnull=False, cases__isnull=False)
            .exclude(user__username__in=[p.username for p in MENTORS])
            .distinct()
            .order_by("id")
            .values_list("user__username", "name")
        )
        if trainees:
            sample = "、".join(f"{u}（{n}）" for u, n in trainees[:4])
            self.stdout.write(f"培养对象账号共 {len(trainees)} 个，密码相同，例如：{sample} …")
        if existing:
            self.stdout.write(
                "以上为首次运行 seed_demo 时设置的密码（除非当时用 --password 指定了别的）；如已修改，以修改后的为准。"
            )
        self.stdout.write("登录地址：http://127.0.0.1:8000/accounts/login/")
