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
]

# Blocks (services.blocks): refusals and their field messages.
BLOCK_MESSAGES = [
    N_("%(command)s refused: %(subject)s is blocked (%(description)s) until %(until)s. %(note)s"),
    N_("%(command)s refused: %(subject)s is blocked (%(description)s) until the block is lifted. %(note)s"),
    N_("%(command)s refused: %(lender)s blocks requests from your library (%(description)s) until %(until)s. %(note)s"),
    N_("%(command)s refused: %(lender)s blocks requests from your library (%(description)s) until the block is lifted. %(note)s"),
    N_("The patron's return cannot be after the send-back date."),
    N_("Give a patron or a library, not both."),
    N_("A library cannot block itself."),
    N_("Choose a block definition of your library."),
    N_("This block description is disabled."),
    N_("This definition is only for blocks shared by partner libraries."),
    N_("The expiry must be after today."),
    N_("No block %(id)s."),
    N_("Only the library that made a block can lift it."),
    N_("A reason is required."),
    N_("This block was already lifted."),
    N_("No such block description."),
    N_("A code of 1 to 20 letters, digits or _ is required."),
    N_("A description is required."),
    N_("Choose a block type."),
    N_("Must be none, managers or all."),
    N_("Must be 01, 02 or 03."),
    N_("The system uses this code: it cannot change."),
    N_("The system uses this code: it cannot be deleted."),
    N_("Blocks use this description: disable it instead."),
    N_("Only managers change the block settings."),
    N_("This field is required."),
    N_("Unknown field."),
    N_("Not one of the allowed values."),
    N_("Is too small."),
    N_("Is not valid."),
    N_("Each group and kind may have one row only."),
    N_("Weekdays are 0 (Monday) to 6 (Sunday)."),
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
    N_("No patron %(number)s in your library."),
    N_("The code %(code)s is taken."),
]

# Patrons (portal.services.patrons keeps its own lists).
from ..services import patron_import as _patron_import, patrons as _patrons  # noqa: E402

DOMAIN_MESSAGES += _patrons.MESSAGES + _patron_import.MESSAGES
FILLED_TEMPLATES += _patrons.FILLED_MESSAGES + _patron_import.FILLED_MESSAGES
