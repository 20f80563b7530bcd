"""The canonical store's tables. Only `gateway.store` and `gateway.sync` import these."""

from gateway.model.auth import OAuth1Nonce, OAuth1Secret, RateCounter, RevokedToken, SigningKey
from gateway.model.base import Base, metadata
from gateway.model.console import (
    AuditEvent,
    DeletionCertification,
    OptOutRequest,
    ParentCode,
    StaffAccount,
    StaffSession,
)
from gateway.model.edfi import EDFI_DOCUMENTS, EDFI_ID_MARKS, EDFI_IDS, EDFI_KEY_CHANGES
from gateway.model.lti import (
    LtiContext,
    LtiDeepLink,
    LtiForwardedItem,
    LtiForwardMark,
    LtiGradeRoute,
    LtiLaunch,
    LtiLineItem,
    LtiLink,
    LtiLmsContext,
    LtiLmsLogin,
    LtiLmsUser,
    LtiPlatform,
    LtiScoreForward,
    LtiScoreMark,
    LtiSecret,
    LtiTool,
    LtiUnmatched,
    LtiUsedValue,
)
from gateway.model.policy import (
    AgreementRow,
    App,
    DisclosedStudent,
    Disclosure,
    DisclosureHead,
    OptOut,
)
from gateway.model.pseudonym_order import PSEUDONYM_ORDER, PSEUDONYM_ORDER_MARKS
from gateway.model.roster import LINK_TABLES, ROSTER_TABLES, roster_table
from gateway.model.sync import ChangeCounter, RunIssue, SourceBookmark, StoreMark, SyncRun

__all__ = [
    "EDFI_DOCUMENTS", "EDFI_IDS", "EDFI_ID_MARKS", "EDFI_KEY_CHANGES",
    "PSEUDONYM_ORDER", "PSEUDONYM_ORDER_MARKS",
    "Base", "metadata", "LINK_TABLES", "ROSTER_TABLES", "roster_table",
    "ChangeCounter", "RunIssue", "SourceBookmark", "StoreMark", "SyncRun",
    "AgreementRow", "App", "DisclosedStudent", "Disclosure", "DisclosureHead", "OptOut",
    "OAuth1Nonce", "OAuth1Secret", "RateCounter", "RevokedToken", "SigningKey",
    "LtiContext", "LtiLaunch", "LtiLineItem", "LtiLink", "LtiPlatform", "LtiScoreMark",
    "LtiSecret", "LtiTool", "LtiUsedValue", "LtiLmsLogin", "LtiLmsUser", "LtiLmsContext",
    "LtiUnmatched", "LtiDeepLink",
    "LtiGradeRoute", "LtiForwardedItem", "LtiScoreForward", "LtiForwardMark",
    "AuditEvent", "DeletionCertification", "OptOutRequest", "ParentCode", "StaffAccount",
    "StaffSession",
]
