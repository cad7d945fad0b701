"""The English message templates of the domain errors, marked for extraction
(pybabel -k N_) so the catalogues translate them; see i18n.translate_message.

tests/web/test_i18n.py checks that every refusal of the workflow machine is
listed here, so a new rule cannot ship untranslated unnoticed.
"""
from ..workflow.errors import N_


# Refusals of commands (portal.workflow.machine) and other domain errors.
DOMAIN_MESSAGES = [
    N_("%(command)s in status %(status)s: no lender candidate currently offers this service."),
    N_("%(command)s in status %(status)s is a command of the lending library."),
    N_("%(command)s in status %(status)s is a command of the requesting library."),
    N_("%(command)s in status %(status)s: only your own latest command can be called back, and the partner has acted since or you have not acted."),
    N_("%(command)s in status %(status)s is only possible after all lenders declined."),
    N_("%(command)s in status %(status)s: only the library whose work list holds the record can save it."),
    N_("%(command)s in status %(status)s is only for answering a claim."),
    N_("%(command)s in status %(status)s is only for copy records."),
    N_("%(command)s in status %(status)s is only for loan records."),
    N_("%(command)s in status %(status)s needs a lender holding the request; all lenders declined: FORWARD, RETRY or CANCEL."),
    N_("%(command)s in status %(status)s: no untried lender candidate currently offers this service."),
    N_("%(command)s in status %(status)s: a PARDON that forwarded the record to another lender cannot be called back."),
    N_("%(command)s in status %(status)s: archived records and records in a fee settlement are read-only."),
    N_("%(command)s is not allowed in status %(status)s during claim handling (answer the claim with ANSWER)."),
    N_("%(command)s in status %(status)s needs the item back; this is a renewal request."),
    N_("OCLC-ILL has no claim states: %(command)s in status %(status)s is not available for OCLC records."),
    N_("There is no command %(command)s."),
    N_("%(command)s is not allowed in status %(status)s."),
    N_("%(command)s: your library declined this request and can only read it."),
    N_("%(command)s needs more input."),
    N_("The record was changed meanwhile (version %(current)s, you had %(given)s): reload it."),
    N_("The record was changed by someone else meanwhile; reload it and try again."),
    N_("The record is being changed by someone else; try again."),
    N_("No record with ILL ID %(ill_id)s."),
    N_("Record %(ill_id)s belongs to other libraries."),
    N_("Only the requesting library can copy its request."),
    N_("Please correct the marked fields."),
    N_("Fees are not valid."),
    # field messages
    N_("Must be a number."),
    N_("Must be a number such as 1000, 1,000 or 12.50."),
    N_("Must be a whole number."),
    N_("Must not be negative."),
    N_("Is too large."),
    N_("Is too long."),
    N_("The subtotal is too large."),
    N_("The total is too large."),
    N_("Has too many decimal places."),
    N_("Must be an object."),
    N_("At most 10 fee groups are allowed."),
    N_("An item is required when there is more than one group."),
    N_("Choose copy or loan."),
    N_("Choose a library."),
    N_("A library cannot ask itself."),
    N_("This library is listed twice."),
    N_("At least one lender candidate is required."),
    N_("At most 5 lender candidates are allowed."),
    N_("Must be a date like 2026-04-01."),
    N_("Unknown date field."),
    N_("The due date cannot be before the send date."),
    N_("This field cannot be edited by your side."),
    N_("Only the requesting library edits the candidates."),
    N_("Only the lending library enters fees."),
    N_("Must be a whole number of days from 1 to 365."),
    N_("Must be NII or OCLC."),
    N_("A name is required."),
    N_("Must be A5, A4 or label."),
    N_("Must be none, type or name."),
    N_("A code of 1 to 20 characters is required."),
    N_("A user name of 1 to 80 characters is required."),
    N_("A password needs at least 8 characters."),
    N_("Must be staff, manager or admin."),
    N_("Must be a three-letter currency code such as JPY."),
    N_("You cannot change your own role."),
    N_("You cannot deactivate your own account."),
    N_("Enter the comment text."),
    N_("Choose a command."),
    N_("A manager gives the roles staff or manager only."),
    N_("You may not manage this user."),
    N_("Only managers and admins manage users."),
    N_("Must be a whole number of days from 0 to 60."),
    N_("A title or a citation is required."),
    N_("%(command)s in status %(status)s needs at least one lender candidate: add one and save the request first."),
    N_("Must be an e-mail address such as ill@library.example."),
    N_("Choose the requesting or the lending side."),
]

# Messages the services fill in before raising: matched and re-filled when shown.
FILLED_TEMPLATES = [
    N_("A comment is required for %(command)s."),
    N_("A title or a citation is required for %(command)s."),
    N_("The total (SUM) is required for %(command)s; it may be 0."),
    N_("No participant library %(code)s."),
    N_("Is too long (at most %(limit)s characters)."),
    N_("Library %(code)s already exists."),
    N_("User %(username)s already exists."),
    N_("Every candidate must be on the %(network)s network."),
]

# Patrons (portal.services.patrons keeps its own lists).
from ..services import patron_import as _patron_import, patrons as _patrons  # noqa: E402

DOMAIN_MESSAGES += _patrons.MESSAGES + _patron_import.MESSAGES
FILLED_TEMPLATES += _patrons.FILLED_MESSAGES + _patron_import.FILLED_MESSAGES
