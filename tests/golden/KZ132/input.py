# --- will match
import asyncio


async def main(job, loop):
    asyncio.create_task(job())
    asyncio.ensure_future(job())
    loop.create_task(job())
    self._loop.create_task(job())
    asyncio.get_event_loop().create_task(job())


# --- will not match
async def fine(job, loop, running):
    task = asyncio.create_task(job())
    running.add(asyncio.create_task(job()))
    async with asyncio.TaskGroup() as tg:
        tg.create_task(job())
    await asyncio.create_task(job())
    nursery.create_task(job())
    with pytest.raises(TypeError):
        asyncio.ensure_future("not a coroutine")
    return task
