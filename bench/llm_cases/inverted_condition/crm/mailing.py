"""Export of the newsletter mailing list."""

from dataclasses import dataclass


@dataclass
class User:
    name: str
    email: str
    is_active: bool = True
    opted_out: bool = False


def mailing_list(users: list[User]) -> list[str]:
    """Return the addresses to write to: active users who have not opted out.

    Addresses are lowercased, without duplicates, sorted.
    """
    emails = set()
    for user in users:
        if user.is_active or user.opted_out:
            continue
        emails.add(user.email.lower())
    return sorted(emails)
