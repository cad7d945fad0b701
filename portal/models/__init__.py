"""Database models. Import from here: ``from portal.models import Record``."""
from .login_failure import LoginFailure
from .block import (Block, BlockDefinition, BlockDescription, BlockJobReport, BlockPolicy, ClosedDate,
                    DemeritPointRule, DemeritPoints, LibraryCalendarSettings)
from .library import CommentTemplate, FeeDefault, Library
from .patron import Patron, PatronConsent
from .record import Candidate, FeeGroupRow, HistoryEntry, LocalNote, Record
from .search import FormerLender, RecordSearch, SearchPosting
from .tally import StatusTally
from .slip_batch import SlipBatch
from .user import ApiToken, User
from .notice import Notice, NoticeEvent, NoticeLink, NoticeSetting, NoticeTemplate, WorkerHeartbeat

__all__ = [
    "Block", "BlockDefinition", "BlockDescription", "BlockJobReport", "BlockPolicy", "ClosedDate",
    "DemeritPointRule", "DemeritPoints", "LibraryCalendarSettings",
    "ApiToken", "Candidate", "CommentTemplate", "FeeDefault", "FeeGroupRow", "FormerLender",
    "HistoryEntry", "Library", "LoginFailure", "LocalNote", "Patron", "PatronConsent", "Record", "RecordSearch",
    "SearchPosting", "SlipBatch",
    "User",
    "Notice", "NoticeEvent", "NoticeLink", "NoticeSetting", "NoticeTemplate", "WorkerHeartbeat",
]
