"""English message templates that the services fill in before raising, so the
web layer can recognise and translate them (see i18n.translate_message)."""

FILLED_TEMPLATES = [
    "A comment is required for %(command)s.",
    "A title or a citation is required for %(command)s.",
    "The total (SUM) is required for %(command)s; it may be 0.",
    "No participant library %(code)s.",
    "Library %(code)s already exists.",
    "User %(username)s already exists.",
    "Every candidate must be on the %(network)s network.",
]
