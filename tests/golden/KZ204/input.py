# --- will match
import re


def numbers(lines):
    for line in lines:
        yield re.findall(r"\d+", line)


def words(lines):
    return [re.compile("[a-z]+").match(line) for line in lines]


def clean(lines):
    while lines:
        line = lines.pop()
        line = re.sub(r"\s+", " ", line)

# --- will not match
DIGITS = re.compile(r"\d+")


def numbers_fast(lines):
    for line in lines:
        yield DIGITS.findall(line)


def dynamic(lines, pattern):
    for line in lines:
        yield re.match(pattern, line)


def outside(lines):
    pat = re.compile("x")
    for line in re.split(",", lines):
        pass
