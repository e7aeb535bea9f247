"""The one base class for business errors, shared by every app and every door.

A service raises a ``DomainError`` subclass; each interface maps it to its own medium (the API's
422 envelope, a form error next to a field, a row in an import report). Codes are unique
UPPER_SNAKE strings and part of the public contract.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    code: ClassVar[str] = "BUSINESS_VALIDATION_FAILED"
    default_message: ClassVar[str] = "Business validation failed"
    status: ClassVar[int] = 422
    type: ClassVar[str] = "BUSINESS_VALIDATION"

    def __init__(self, message: str | None = None, *, arguments: dict[str, Any] | None = None, field: str | None = None):
        self.message = message or str(self.default_message)
        self.arguments = arguments or {}
        # The input property this error is about ("officeId", "location", ...), so that a form can
        # show it next to the right field. None when it concerns the request as a whole.
        self.field = field
        super().__init__(self.message)

    @classmethod
    def all_subclasses(cls) -> list[type[DomainError]]:
        found, stack = [], list(cls.__subclasses__())
        while stack:
            sub = stack.pop()
            found.append(sub)
            stack.extend(sub.__subclasses__())
        return found
