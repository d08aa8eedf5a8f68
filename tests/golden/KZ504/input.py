# --- will match
import typing
from typing import Dict, List


def names(rows: List[str]) -> Dict[str, int]:
    return {}


def parse(data: typing.Tuple[int, ...]) -> typing.Type[int]:
    return int


counts: List[int] = []


def local() -> None:
    seen: Dict[str, int] = {}  # a local annotation is never evaluated: the fix is safe here
    print(seen)

# --- will not match
from other import Set


def keep(rows: Set[str]) -> list[str]:
    alias = List[int]
    return []
