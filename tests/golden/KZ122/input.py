import os
from os import path

# --- will match
for path in ["a", "b"]:
    print(path)


def local_import(items):
    import json

    for json in items:
        print(json)


# --- will not match
def function_scope(paths):
    for os in paths:  # a local: the module's os is untouched
        print(os)


import sys

sys = None
for sys in range(2):  # the import was already replaced
    pass

for item in range(3):
    import math
