# --- will match
import asyncio
import time


async def poll(client):
    while not client.ready():
        time.sleep(0.5)


async def measure():
    started = time.sleep(0) or time.monotonic()
    return started

# --- will not match
def sync_poll(client):
    while not client.ready():
        time.sleep(0.5)


async def good(client):
    await asyncio.sleep(0.5)

    def helper():
        time.sleep(1)

    return helper
