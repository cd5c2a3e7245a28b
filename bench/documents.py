"""Official documents benchmark: how long WeasyPrint takes to print them.

    .venv/bin/python bench/documents.py [--runs 7] [--rows 500] [--records 8]

Times, each as the median of ``--runs`` renders after one warm-up render (the first render of
a process also loads Pango, fontconfig and the CJK fonts; it is printed separately):

* (a) a unit's 附件2 PDF of ``--rows`` rows (``workflows.documents.annex2_pdf``), from plain
  row objects: no database. Target ≤ 2 s for 500 rows (issue 13; it was 3 s in issue 4).
* (b) a one-page 附件3 台账 of a case with ``--records`` records
  (``workflows.documents.ledger_pdf``, database reads included). Target ≤ 0.5 s.
* (c) for information, the city's consolidated 附件2 of 19 units holding ``--rows`` rows in all
  (``annex2_city_pdf``).

Each line also gives the median CPU time of the process ("cpu"): when another process holds a
CPU the wall time grows but the CPU time hardly does; the load average before and after the
runs is printed with them. The script also says whether WeasyPrint subsets the fonts with
HarfBuzz (libharfbuzz-subset0) or fell back to fontTools.

``--baseline`` prints the same documents the way issue 4 printed them (WeasyPrint's own
user-agent stylesheet and a new ``FontConfiguration`` per document, ``workflows/pdf.py``'s
two levers undone), to compare on the same machine at the same load.

The ledger needs a case: the script migrates a throwaway SQLite database in a temporary
directory (DATABASE_URL is ignored), builds the tests' small world (``tests.factories``) and
drives one case to 培养中 through the services, with its records. Nothing else is touched.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import os
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).absolute().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "project.settings"
os.environ.pop("DATABASE_URL", None)
_TMP = tempfile.TemporaryDirectory(prefix="shuangpei-bench-documents-")
os.environ["SQLITE_PATH"] = str(Path(_TMP.name) / "bench.sqlite3")

TARGETS = {"annex2": 2.0, "ledger": 0.5}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力婷宇浩凯鹏晨欣怡雪梅琳丹慧佳颖晓燕春"


def timed(render, runs: int) -> tuple[float, list[float], list[float], bytes]:
    """The first (cold) wall time, then ``runs`` more renders' wall and CPU times, and the last output.

    The CPU time (this process's) tells a slow render from a render that waited for a CPU
    another process held: on a shared two-CPU machine the wall times vary by half.
    """
    start = time.perf_counter()
    content = render()
    cold = time.perf_counter() - start
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        content = render()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return cold, times, cpu, content


def pages(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def fake_rows(n: int) -> list[types.SimpleNamespace]:
    rows = []
    for i in range(n):
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)] + GIVEN[(i * 13) % len(GIVEN)]
        kind = "1" if i < n * 2 // 5 else "2"
        rows.append(
            types.SimpleNamespace(
                name=name,
                birth_month=f"{1975 + i % 20}.{1 + i % 12:02d}",
                kind=kind,
                year=2026,
                note="已转为正式党员" if i % 9 == 0 else "",
            )
        )
    return rows


def ledger_case(records: int):
    """One case of the tests' world in 培养中 with two mentors and ``records`` records."""
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0, interactive=False)

    from tests.factories import make_world
    from tests.training import lifecycle_tasks
    from workflows.models import Case
    from workflows.services import cases as svc
    from workflows.services import records as record_svc
    from workflows.services import training as training_svc

    w = make_world()
    case = svc.case_register(actor=w.officer, teacher_id=w.candidate1.pk, kind="1")
    (task,) = lifecycle_tasks(case)
    svc.case_pair(actor=w.officer, task_id=task.pk, mentor_ids=[w.member_mentor.pk, w.member_mentor2.pk])
    for task in lifecycle_tasks(case):
        svc.mentor_accept(actor=task.owner, task_id=task.pk)
    past = timezone.now() - datetime.timedelta(days=400)
    Case.objects.filter(pk=case.pk).update(registered_at=past, training_started_on=past.date())
    contents = [
        "谈入党动机，端正入党认识，布置学习党章，要求写出学习心得。",
        "随支部听党课《新时代党员的初心使命》，课后交流体会。",
        "听课指导：对公开课的教学设计和课堂组织提出改进意见。",
        "谈心谈话：了解思想和工作情况，鼓励其在教研中发挥骨干作用。",
    ]
    for n in range(records):
        mentor = w.member_mentor if n % 2 == 0 else w.member_mentor2
        record_svc.record_write(
            actor=mentor.user,
            case_id=case.pk,
            date=timezone.localdate() - datetime.timedelta(days=30 * (records - n)),
            kind="talk" if n % 3 else "party_lecture",
            content=contents[n % len(contents)],
        )
    training_svc.opinion_write(actor=w.member_mentor.user, case_id=case.pk, text="该同志入党动机端正，表现突出。")
    return Case.objects.get(pk=case.pk)


def environment() -> list[str]:
    import ctypes.util

    import weasyprint
    from weasyprint.text.ffi import harfbuzz_subset

    subset = ctypes.util.find_library("harfbuzz-subset")
    model = ""
    if Path("/proc/cpuinfo").exists():
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        model = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "")
    return [
        f"nproc: {os.cpu_count()}" + (f" ({model})" if model else ""),
        f"python: {sys.version.split()[0]}, WeasyPrint {weasyprint.__version__}",
        f"libharfbuzz-subset: {subset or 'NOT FOUND: WeasyPrint falls back to fontTools (much slower)'}"
        f" (loaded by WeasyPrint: {'yes' if harfbuzz_subset is not None else 'no'})",
    ]


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: on a shared machine they say how much to trust a run."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


class FontWarnings(logging.Handler):
    """Collects WeasyPrint's warnings, e.g. "Using fontTools instead of HarfBuzz-Subset"."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--records", type=int, default=8)
    parser.add_argument("--baseline", action="store_true", help="print as issue 4 did")
    args = parser.parse_args()

    import django

    django.setup()
    from workflows import documents, pdf

    if args.baseline:
        from weasyprint import HTML

        pdf.html_to_pdf = lambda html: HTML(string=html, base_url=None).write_pdf()
        print("baseline: WeasyPrint's own user-agent stylesheet, a new FontConfiguration per document")
    for line in environment():
        print(line)

    unit = types.SimpleNamespace(name="赫山区教育局")
    rows = fake_rows(args.rows)
    case = ledger_case(args.records)
    units = [(types.SimpleNamespace(name=f"第{u + 1}单位"), rows[u::19]) for u in range(19)]
    scenarios = [
        (
            "annex2",
            f"(a) 附件2 PDF, {args.rows} rows",
            lambda: documents.annex2_pdf(unit=unit, year=2026, rows=rows, dated=datetime.date(2026, 9, 8))[2],
        ),
        ("ledger", f"(b) 附件3 台账 PDF, {args.records} records", lambda: documents.ledger_pdf(case)[2]),
        (
            "city",
            f"(c) 全市汇总 PDF, 19 units, {args.rows} rows",
            lambda: documents.annex2_city_pdf(year=2026, units=units, dated=datetime.date(2026, 9, 8))[2],
        ),
    ]
    print(f"load average before: {load_average()}")
    warnings = FontWarnings()
    logging.getLogger("weasyprint").addHandler(warnings)
    missed = []
    print(f"\nmedian of {args.runs} runs after a warm-up run (seconds)")
    for key, label, render in scenarios:
        cold, times, cpu, pdf = timed(render, args.runs)
        median = statistics.median(times)
        target = TARGETS.get(key)
        verdict = "" if target is None else (f"target ≤ {target} s: " + ("met" if median <= target else "MISSED"))
        if target is not None and median > target:
            missed.append(label)
        print(
            f"{label:<34} median {median:6.3f}  min {min(times):6.3f}  max {max(times):6.3f}  "
            f"cpu {statistics.median(cpu):6.3f}  first {cold:6.3f}  {pages(pdf)} page(s), {len(pdf) / 1024:.0f} KiB  "
            f"{verdict}"
        )
    print(f"load average after: {load_average()}")
    fonttools = [m for m in warnings.messages if "fontTools" in m]
    print(
        "\nfont subsetting: "
        + (f"fontTools fallback used ({fonttools[0]})" if fonttools else "HarfBuzz (no fontTools fallback warning)")
    )
    if missed:
        print("MISSED: " + "; ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        _TMP.cleanup()
