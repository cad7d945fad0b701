"""Database models. Import from here: ``from portal.models import Record``."""
from .library import CommentTemplate, FeeDefault, Library
from .patron import Patron, PatronConsent
from .record import Candidate, FeeGroupRow, HistoryEntry, LocalNote, Record
from .user import ApiToken, User
from .notice import Notice, NoticeEvent, NoticeLink, NoticeSetting, NoticeTemplate, WorkerHeartbeat

__all__ = [
    "ApiToken", "Candidate", "CommentTemplate", "FeeDefault", "FeeGroupRow",
    "HistoryEntry", "Library", "LocalNote", "Patron", "PatronConsent", "Record", "User",
    "Notice", "NoticeEvent", "NoticeLink", "NoticeSetting", "NoticeTemplate", "WorkerHeartbeat",
]
