# --- will match
import typing
from typing import Optional, Union


def find(key: str) -> Optional[int]:
    return None


def either(value: Union[int, str, None]) -> typing.Optional[bytes]:
    return None


# --- will not match
def forward(node: Optional["Node"]) -> None:
    alias = Optional[int]


def single(value: Union[int]) -> None:
    pass
