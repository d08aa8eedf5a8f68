"""Per-field length checks for the profile form."""

from collections.abc import Callable


def length_validators(limits: dict[str, int]) -> dict[str, Callable[[str], bool]]:
    """Build one check per field: does a value fit within the field's maximum length?"""
    validators = {}
    for field, limit in limits.items():
        validators[field] = lambda value, limit=limit: len(value) <= limit
    return validators


def invalid_fields(form: dict[str, str], limits: dict[str, int]) -> list[str]:
    """Return the fields of ``form`` whose value is too long, in form order."""
    checks = length_validators(limits)
    return [name for name, value in form.items() if name in checks and not checks[name](value)]
