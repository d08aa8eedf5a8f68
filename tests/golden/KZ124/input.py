from os.path import join
import json

# --- will match
def join(parts):
    return "/".join(parts)


class json:
    pass


# --- will not match
from functools import partial

print(partial)


def partial(f):
    return f


try:
    from shutil import which
except ImportError:
    def which(name):
        return None

from typing import overload


@overload
def overload(x):
    return x


from collections import OrderedDict


class OrderedDict(OrderedDict):
    pass


from math import floor


def floor(x=floor):
    return x
