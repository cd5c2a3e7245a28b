from .api_tokens import ApiToken
from .approvals import CaseCopy, Deputy, TaskComment, TaskOpened
from .attachments import Attachment, FileKind
from .audit import AuditAction, AuditChainHead, AuditCheckpoint, AuditEvent
from .calendar import WorkdayOverride
from .cases import Annex2Row, Case, CaseKind, CaseMentor, CaseState, MentorStatus
from .jobs import ExportJob, ExportKind, JobStatus
from .notifications import Notification, NotificationKind, TaskReminder
from .obligations import (
    MentorOpinion,
    ProgrammePolicy,
    RecordCadence,
    RecordDuty,
    SemesterWork,
    UnitPolicy,
    WorkItem,
    WorkStatus,
)
from .organisations import Organisation, OrgKind
from .people import PartyStatus, Role, RoleAssignment, Sex, Teacher
from .plans import (
    Appraisal,
    AppraisalResult,
    PartyAdmission,
    PlanState,
    Quota,
    QuotaPlan,
    QuotaYear,
    UnitPlan,
)
from .records import KINDS_FOR_CASE, RecordKind, TrainingRecord
from .reports import AnnualReport, ReportKind, ReportProcess, ReportState, ReportTask
from .tasks import CaseProcess, CaseTask

__all__ = [
    "WorkdayOverride",
    "CaseCopy",
    "Deputy",
    "TaskComment",
    "TaskOpened",
    "ApiToken",
    "AuditChainHead",
    "AuditCheckpoint",
    "AnnualReport",
    "Appraisal",
    "AppraisalResult",
    "ExportJob",
    "ExportKind",
    "JobStatus",
    "PartyAdmission",
    "PlanState",
    "Quota",
    "QuotaPlan",
    "QuotaYear",
    "ReportKind",
    "ReportProcess",
    "ReportState",
    "ReportTask",
    "UnitPlan",
    "Attachment",
    "FileKind",
    "MentorOpinion",
    "Notification",
    "NotificationKind",
    "ProgrammePolicy",
    "RecordCadence",
    "RecordDuty",
    "SemesterWork",
    "TaskReminder",
    "UnitPolicy",
    "WorkItem",
    "WorkStatus",
    "Annex2Row",
    "KINDS_FOR_CASE",
    "RecordKind",
    "TrainingRecord",
    "AuditAction",
    "AuditEvent",
    "Case",
    "CaseKind",
    "CaseMentor",
    "CaseProcess",
    "CaseState",
    "CaseTask",
    "MentorStatus",
    "OrgKind",
    "Organisation",
    "PartyStatus",
    "Role",
    "RoleAssignment",
    "Sex",
    "Teacher",
]
