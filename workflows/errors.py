"""Errors a service raises when a guard refuses. Views turn them into 4xx pages."""


class GuardError(Exception):
    """A guard refused the action; ``message`` says what is wrong and what to do."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotInScope(GuardError):
    """The object is outside the user's subtree: answered as if it did not exist."""

    status = 404


class NotPermitted(GuardError):
    """The user sees the object but their role may not perform this action."""

    status = 403


class AlreadyHandled(GuardError):
    """Someone else acted on the task first."""

    status = 409
