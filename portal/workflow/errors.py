"""Domain errors. Web and API each turn them into their own answer.

Messages are English templates with named parameters so that the web layer can
translate the template (gettext) before filling it in.
"""


def N_(message: str) -> str:
    """Marks an English message template for the catalogues (pybabel -k N_); the web translates it."""
    return message


class DomainError(Exception):
    code = "error"

    def __init__(self, template: str, **params):
        self.template = template
        self.params = params
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return self.template % self.params if self.params else self.template


class CommandNotAllowed(DomainError):
    code = "command_not_allowed"


class ValidationError(DomainError):
    """Bad input. `fields` maps a field name to its message template."""

    code = "invalid"

    def __init__(self, fields: dict[str, str], template: str = "Please correct the marked fields.", **params):
        self.fields = fields
        super().__init__(template, **params)


class Conflict(DomainError):
    code = "conflict"


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    code = "forbidden"


class Blocked(DomainError):
    """A command stopped by a block. ``view`` is the block as the caller's library sees it;
    ``overridable``: the caller's role may go ahead with a reason."""

    code = "blocked"

    def __init__(self, template: str, view=None, overridable: bool = False, **params):
        self.view = view
        self.overridable = overridable
        super().__init__(template, **params)

    @property
    def message(self) -> str:
        return super().message.strip()
