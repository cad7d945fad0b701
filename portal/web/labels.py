"""Labels of record fields and commands, translated when shown.

The NACSIS-ILL tag follows each label so staff used to the old client
recognise the field.
"""
from markupsafe import Markup, escape

from .i18n import text_l as _l

#: Notice types (workflow.notice_rules.NOTICE_TYPES) as staff read them; a type without
#: a label here shows its code.
NOTICE_TYPES = {
    "ARRIVED": _l("Item arrived"), "PICKUP_REMINDER": _l("Pick-up reminder"), "DUE_SOON": _l("Due soon"),
    "OVERDUE": _l("Overdue"), "DUE_DATE_CHANGED": _l("Due date changed"), "RENEWAL_REFUSED": _l("Renewal refused"),
    "CANCELLED": _l("Request cancelled"), "FEE_DUE": _l("Fee due"), "ACTIVITY": _l("Activity report"),
    "PARTNER_NEW_REQUEST": _l("New request (to a partner)"), "PARTNER_OVERDUE": _l("Overdue (to a partner)"),
    "MANUAL": _l("Manual notice"), "BLOCK_APPLIED": _l("Block applied"), "BLOCK_LIFTED": _l("Block lifted"),
    "STAFF_DIGEST": _l("Daily digest (to your library)"),
    "SEND_REPORT": _l("Send reports of manual notices (to staff)"),
}


def notice_type_label(code: str) -> str:
    return str(NOTICE_TYPES.get(code, code))


FIELDS = {
    # parties
    "requester_number": (_l("Requester's local number"), "ONO"),
    "lender_number": (_l("Lender's local number"), "ANO"),
    "requester_staff": (_l("Requesting staff"), "OSTAF"),
    "lender_staff": (_l("Lending staff"), "ASTAF"),
    "requester_address": (_l("Requester address"), "OADRS"),
    "lender_address": (_l("Lender address"), "AADRS"),
    "use_restriction": (_l("Use restriction"), "USE"),
    # citation
    "title": (_l("Title"), "TITLE"),
    "article": (_l("Article title"), "ARTCL"),
    "author": (_l("Author"), "AUTH"),
    "publisher": (_l("Publisher"), "PUB"),
    "volume": (_l("Volume / issue"), "VLNO"),
    "pages": (_l("Pages"), "PAGE"),
    "year": (_l("Year"), "YEAR"),
    "std_no": (_l("ISSN / ISBN"), "STDNO"),
    "bib_id": (_l("Bibliographic ID"), "BIBID"),
    "bib_note": (_l("Citation (free text)"), "BIBNT"),
    "verify_source": (_l("Verification source"), "BVRFY"),
    # end user
    "client_name": (_l("End user"), "CLNT"),
    "client_type": (_l("End user type"), "CLNTP"),
    # terms
    "account_type": (_l("Accounting"), "ACCT"),
    "copy_type": (_l("Copy type"), "TYPE"),
    "send_via": (_l("Send via"), "SPVIA"),
    "permission": (_l("Copyright permission"), "PRMT"),
    # dates
    "ordered_on": (_l("Ordered"), "ODATE"),
    "accepted_on": (_l("Accepted"), "ADATE"),
    "sent_on": (_l("Sent"), "SDATE"),
    "received_on": (_l("Received"), "RDATE"),
    "due_on": (_l("Due"), "DDATE"),
    "sent_back_on": (_l("Sent back"), "BDATE"),
    "return_received_on": (_l("Return received"), "KDATE"),
}

GROUPS = [
    (_l("Citation"), ("title", "article", "author", "publisher", "volume", "pages", "year", "std_no", "bib_id",
                      "bib_note", "verify_source")),
    (_l("End user and terms"), ("client_name", "client_type", "account_type", "copy_type", "send_via", "permission")),
    (_l("Parties"), ("requester_number", "requester_staff", "requester_address", "lender_number", "lender_staff",
                     "lender_address", "use_restriction")),
]

DATES = ("ordered_on", "accepted_on", "sent_on", "received_on", "due_on", "sent_back_on", "return_received_on")

COMMANDS = {
    "ORDER": _l("Order"),
    "RECEIVE": _l("Receive"),
    "INQUIRE": _l("Inquire"),
    "PARDON": _l("Decline"),
    "SEND": _l("Send"),
    "ANSWER": _l("Answer"),
    "CLAIM": _l("Claim"),
    "OK": _l("Confirm"),
    "BORROW": _l("Borrow"),
    "RENEW": _l("Renew"),
    "SENDBACK": _l("Send back"),
    "CALLBACK": _l("Call back"),
    "FORWARD": _l("Forward"),
    "RETRY": _l("Retry"),
    "CANCEL": _l("Cancel request"),
    "SAVE": _l("Save edits"),
    "CREATE": _l("Created"),
    "SYSTEM": _l("System"),
}

# Choices offered for the terms (free text is stored; these are the usual values).
ACCOUNT_TYPES = [("公費", _l("Public funds")), ("私費", _l("Private (end user pays)"))]
COPY_TYPES = [("電子複写", _l("Electronic copy")), ("紙複写", _l("Paper copy")), ("マイクロ", _l("Microfilm"))]
SEND_VIA = [("郵送", _l("Post")), ("FAX", _l("Fax")), ("宅配便", _l("Courier")), ("電子送付", _l("Electronic"))]
CLIENT_TYPES = [("教員", _l("Faculty")), ("大学院生", _l("Graduate student")), ("学部生", _l("Undergraduate")),
                ("職員", _l("Staff")), ("学外者", _l("External"))]
# The lender's usual use restrictions of a loan (free text is stored), in the partner's language on the slip.
USE_RESTRICTIONS = ("館内閲覧のみ", "館内閲覧のみ・複写不可", "複写不可", "貸出可 (館外)", "取扱注意")
PERMISSIONS = [("不要", _l("Not needed")), ("許諾済", _l("Granted")), ("要確認", _l("To be checked"))]


# Further fields a history entry may list as changed (HistoryEntry.changes).
CHANGE_LABELS = {
    "lender": _l("Lender"),
    "candidates": _l("Lender candidates"),
    "claim_handling": _l("Claim handling"),
    "renewal_handling": _l("Renewal handling"),
    "base_fee": _l("Base fee and other costs"),
    "postage": _l("Postage or fax"),
    "total": _l("Total"),
    "fee_groups": _l("Fee groups"),
}


def change_label(name: str) -> str:
    """The label of a field in a history entry's changes."""
    if name in FIELDS:
        return field_label(name)
    return str(CHANGE_LABELS.get(name, name))


def change_value(value) -> str:
    """A changed value as the history shows it: lists joined, flags as yes / no, nothing as a dash."""
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def field_label(name: str) -> str:
    label, _tag = FIELDS[name]
    return str(label)


def command_label(command: str) -> str:
    return str(COMMANDS.get(command, command))


ROLES = {"staff": _l("Staff"), "manager": _l("Manager"), "admin": _l("Administrator")}
SLIP_SIZES = {"A5": _l("A5 (148 × 210 mm)"), "A4": _l("A4 (210 × 297 mm)"),
              "label": _l("Label (100 × 150 mm, e.g. a book band)")}
LANGUAGES = {"ja": "日本語", "en": "English"}  # each in its own language, as on the switch


def role_label(role: str) -> str:
    return str(ROLES.get(role, role))


def partner_options(choices: list[tuple[str, str]], selected: str) -> Markup:
    """The <option>s of a select of (at national scale, a thousand) libraries, built in one pass
    rather than a template loop: escaped here."""
    return Markup("".join(
        f'<option value="{escape(code)}"{" selected" if code == selected else ""}>{escape(code)} {escape(name)}</option>'
        for code, name in choices))


def options(codes, names: dict) -> list[tuple[str, str]]:
    """(code, translated name) pairs for a select of fixed codes."""
    return [(code, str(names.get(code, code))) for code in codes]


# Notes the portal writes into the shared history are stored in one fixed text (both
# libraries read the record, each in its own language) and translated when shown.
SYSTEM_NOTES = {  # the texts of workflow.machine.SKIPPED_NOTE, ALL_DECLINED_NOTE, ARCHIVED_NOTE (a test checks)
    "Service suspended; forwarded by the system (サービス停止中につきシステムが転送しました)":
        _l("Service suspended; forwarded by the system"),
    "Declined by all designated lenders (指定した全ての受付館で謝絶されました)": _l("Declined by all designated lenders"),
    "ARCHIVE: moved to the archive (アーカイブに移動しました)": _l("ARCHIVE: moved to the archive"),
    # services.blocks: machine.BLOCKED_NOTE and the note an override writes
    "Blocked by this lender; forwarded by the system (受付館によるブロック中につきシステムが転送しました)":
        _l("Blocked by this lender; forwarded by the system"),
    "Block overridden (ブロックを解除して実行)": _l("Block overridden"),
}


def system_note(text: str | None) -> str:
    """A SYSTEM history comment in the reader's language (what follows the note, e.g. ': L2', kept)."""
    text = text or ""
    for stored, label in SYSTEM_NOTES.items():
        if text.startswith(stored):
            return str(label) + text[len(stored):]
    return text
