"""Who is acting: passed explicitly to every service call, never read from a global."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    """An authenticated caller. `person_id` links to org's person; `is_admin` may change everything."""

    user_id: int | None
    person_id: int | None
    label: str
    is_admin: bool = False

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        """The product itself (demo loader, imports run from the command line by an operator)."""
        return cls(user_id=None, person_id=None, label=label, is_admin=True)

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(user_id=None, person_id=None, label="anonymous", is_admin=False)

    @property
    def is_authenticated(self) -> bool:
        return self.is_admin or self.user_id is not None
