# --- will match
def chain(groups):
    for group in groups:
        for item in group:
            yield item


def pairs(data):
    for pair in data.items():
        yield pair


# --- will not match
def transform(items):
    for item in items:
        yield item * 2


def delegate(items):
    for item in items:
        yield from item


async def stream(items):
    for item in items:
        yield item


def with_else(items):
    for item in items:
        yield item
    else:
        yield None
