"""docs/workflow.md: the rules the portal implements, generated from the status table
and the transition table (`flask --app portal graph` writes it; a test keeps it current).
The prose between the tables says, in the project's own words, what the tables cannot."""
from __future__ import annotations

from .due import DEFAULT_DUE_SOON_DAYS, ITEM_OUT, ITEM_OUT_IN_RENEWAL
from .fees import MAX_GROUPS
from .machine import ALL_DECLINED_NOTE, RULES, SKIPPED_NOTE, mermaid_graph
from .statuses import STATUS_TABLE

INTRO = """\
# ILL workflow

Generated from `portal/workflow/statuses.py`, `portal/workflow/machine.py` and
`portal/workflow/due.py` by `flask --app portal graph`; a test fails when this file
and the code disagree. One record per request is shared by the requesting library
(依頼館, *requester*) and the library asked to supply it (受付館, *lender*); the
status says whose work list holds it (who acts next). Every command writes one
history entry (with what it changed besides the status) and runs as one
transaction: all of it is stored, or nothing.
"""

FORWARDING = f"""\
## Forwarding (lender candidates)

A request lists up to 5 lender candidates in order. ORDER, FORWARD and PARDON send
it to the next untried candidate whose library offers the service now (service
status on, and copy or loan service on for the record's kind). A candidate passed
over gets a system note ("{SKIPPED_NOTE}"). When PARDON finds no candidate left,
the record goes to NEW_INQUIRY with the note "{ALL_DECLINED_NOTE}"; the requester
may add candidates and FORWARD, RETRY (back to PREPARING) or CANCEL. A lender that
declined keeps read-only access. A draft (PREPARING) needs a title or citation and
may have no candidate yet; ORDER needs at least one.
"""

CALLBACK = """\
## CALLBACK (undo)

CALLBACK undoes the caller's own latest command, provided it is still the record's
latest transition (the partner has not acted since): the status and every field
that command changed (dates, fees, lender, flags) return to what they were.

- A transition that was called back no longer counts: the one before it is the
  latest again, and its author may call it back in turn. A lender that received a
  request by mistake and called its RECEIVE back leaves it UNPROCESSED; the
  requester may then call back its ORDER. A library may undo several of its own
  consecutive commands one by one. A CALLBACK itself is never called back.
- CALLBACK of CANCEL starts the request afresh in PREPARING (how a cancelled request
  is sent again); nothing before it can be called back any more.
- A PARDON that forwarded the record to another lender cannot be called back. A
  PARDON that declined for all (NEW_INQUIRY, nobody else asked) can, by that
  lender, while it is the latest transition.
- Records included in a fee settlement, and archived records, cannot be called back.
- SAVE is not a transition: it is never undone and does not block a CALLBACK.
"""

FEES = f"""\
## Fees (料金)

Up to {MAX_GROUPS} fee groups (ITEM, QNT, UPRCE), a base fee (FEE) and postage (POSTG).
The portal computes every subtotal CHRGE = QNT × UPRCE and the total SUM = ΣCHRGE +
FEE + POSTG in exact decimals; an ITEM is required when there is more than one group;
negative amounts are refused. Inputs are plain decimals (`1000`, `12.50`), with
commas grouping thousands in threes (`1,000`, `12,345.50`) and full-width digits
allowed; anything else (`1e3`, `1,00`, `1_000`) is refused with the field named.
SEND needs a SUM (it may be 0); INQUIRE and SAVE may carry fees.
"""


def _due() -> str:
    out = ", ".join(s.value for s in sorted(ITEM_OUT))
    renewal = ", ".join(s.value for s in sorted(ITEM_OUT_IN_RENEWAL))
    return f"""\
## Due dates

A loan is *overdue* when its due date (DDATE) has passed, and *due soon* within a
number of days the library sets (default {DEFAULT_DUE_SOON_DAYS}), while its item is
with the requester: in {out}, and in {renewal} during renewal handling. Both are
computed from DDATE and today in the portal's time zone, never stored.
"""


def _words(func) -> str:
    return func.__name__.removeprefix("require_").replace("_", " ") if not func.__name__.startswith("require_") \
        else "needs " + func.__name__.removeprefix("require_").replace("_", ", ")


def _commands() -> str:
    lines = ["## Commands", "",
             "Read top to bottom like the machine: for a command in a status, the first row whose "
             "conditions hold runs. *Conditions* refuse the command (409 in the API) with a message; "
             "*effects* check their inputs (422) and change the record.", "",
             "| command | side | from | to | conditions | effects |", "|---|---|---|---|---|---|"]
    for rule in RULES:
        source = ", ".join(s.value for s in rule.source) if len(rule.source) < 6 else "any active status" \
            if rule.command == "SAVE" else "any status"
        dest = rule.dest.value if rule.dest else ("(unchanged)" if rule.command == "SAVE" else "(see CALLBACK)")
        side = rule.side.value if rule.side else "either"
        conditions = "; ".join(_words(c) for c in rule.conditions) or "–"
        effects = "; ".join(_words(e) for e in rule.effects) or "–"
        lines.append(f"| {rule.command} | {side} | {source} | {dest} | {conditions} | {effects} |")
    return "\n".join(lines) + "\n"


def _statuses() -> str:
    lines = ["## Statuses", "", "| code | 日本語 | English | work list |", "|---|---|---|---|"]
    for status, (ja, en, queue) in STATUS_TABLE.items():
        lines.append(f"| {status.value} | {ja} | {en} | {queue.value} |")
    return "\n".join(lines) + "\n"


def workflow_document() -> str:
    parts = [INTRO, _statuses(), _commands(), FORWARDING, CALLBACK, FEES, _due(),
             "## State graph\n\nSAVE and CALLBACK are not drawn.\n\n```mermaid\n" + mermaid_graph() + "```\n"]
    return "\n".join(parts)
