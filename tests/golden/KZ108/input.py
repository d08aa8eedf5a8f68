# --- will match
import os
import json, sys
from collections import (
    OrderedDict,
    defaultdict,
    namedtuple,
)
from typing import List, Dict as D, Set
import xml.etree.ElementTree


def inner():
    import re

    return 1


if CHECK:
    import shutil

print(sys.argv, defaultdict, List, Set)

# --- will not match
from __future__ import annotations
from pathlib import Path as Path
from itertools import *

try:
    import numpy
except ImportError:
    numpy = None


class Editor:
    from textwrap import dedent


import string  # used in a string annotation below
import math

# Kaizen counts a mention anywhere as a use, comments included: math.


def use(p: "string.Template") -> Path:
    return p


from .models import backends  # noqa: F401
from .models import (  # noqa
    first_backend,
    second_backend,
)
from .views import index  # noqa: E501,F401
