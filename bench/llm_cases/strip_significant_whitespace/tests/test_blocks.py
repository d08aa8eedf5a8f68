from textutils.blocks import read_block

HELP = """Usage:
```
def greet(name):
    print(name)
```
That is all.
"""


def test_indentation_is_kept():
    lines = read_block(HELP)
    assert lines == ["def greet(name):", "    print(name)"], (
        f"the block's indentation was lost: {lines!r}"
    )


def test_no_block():
    assert read_block("no code here\n") == []


def test_flat_block():
    assert read_block("```\nls\n```\n") == ["ls"]
