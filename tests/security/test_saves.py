"""No lost saves: an editor's save that lands while Kaizen applies or undoes is never overwritten.

The saves come from a real, separate writer process, in both styles editors use: writing in
place (``open(path, "wb")``) and writing a temp file then renaming it over the file. The
deterministic tests make the save land at one exact step of the patcher (the writer is told
to save from inside a wrapped step and the patcher waits for it), so they do not depend on
scheduling; the race test lets the writer run free against 40 applies and counts lost saves,
and passes whatever the interleaving.

A save is *lost* when its content is neither the file's final content nor superseded by a
later save of the writer.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import suggestions.apply.patcher as patcher
import suggestions.apply.swap as swap
from suggestions.apply.audit import AuditLog
from suggestions.apply.patcher import apply_suggestions, undo
from suggestions.store import Store
from tests.conftest import ROOT, write
from tests.validation_project import suggestion

BODY = "def f(x):\n    return x + 1\n\n\ndef g(y):\n    return y * 2\n"
STYLES = ["in-place", "rename"]

WRITER = textwrap.dedent(r'''
    """An editor in a separate process: saves files when told to, or sweeps a save-all."""
    import os
    import sys


    def save(path, data, style):
        if style == "in-place":
            with open(path, "wb") as fh:
                fh.write(data)
        else:
            tmp = path + ".writer~"  # "*~" is ignored by Kaizen, like an editor's backup
            with open(tmp, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)


    def busy(folder, name):
        """Kaizen is writing ``name``: one of its temp files is there."""
        prefix = "." + name + ".kaizen-"
        return any(n.startswith(prefix) for n in os.listdir(folder))


    def sweep(folder, trial, n):
        """Save every file once, each one aimed at a different moment of the apply."""
        stop = os.path.join(folder, "..", "apply-finished")
        names = ["f%02d.py" % k for k in range(n)]
        for k, name in enumerate(names):
            path = os.path.join(folder, name)
            with open(path, "rb") as fh:
                base = fh.read()
            # k % 3 == 0: when Kaizen's temp file for this file appears (the swap window);
            # k % 3 == 1: when the previous file is done (this one is being read, journaled);
            # k % 3 == 2: at once. Never later than the end of the apply.
            while not os.path.exists(stop):
                if k % 3 == 0 and busy(folder, name):
                    break
                if k % 3 == 1 and not busy(folder, names[k - 1]):
                    break
                if k % 3 == 2:
                    break
                with open(path, "rb") as fh:
                    if fh.read() != base:  # Kaizen already wrote it
                        break
            style = "in-place" if (k + trial) % 2 == 0 else "rename"
            save(path, content(trial, k), style)


    def content(trial, k):
        return ("# save %d of file %d\n" % (trial, k)).encode() + b"x = %d\n" % k


    held = {}
    for line in sys.stdin:
        cmd, *args = line.split()
        if cmd == "save":
            save(args[0], bytes.fromhex(args[2]), args[1])
        elif cmd == "open":  # an in-place save that has opened (truncated) the file, not written yet
            held[args[0]] = open(args[0], "wb")
        elif cmd == "finish":
            fh = held.pop(args[0])
            fh.write(bytes.fromhex(args[1]))
            fh.close()
        elif cmd == "sweep":
            print("ready", flush=True)
            sweep(args[0], int(args[1]), int(args[2]))
        print("ok", flush=True)
''')


def saved(trial: int, k: int) -> bytes:
    """What the writer's sweep saves in file k (keep in step with WRITER's content())."""
    return f"# save {trial} of file {k}\n".encode() + b"x = %d\n" % k


class Writer:
    """The writer process; each call returns when the save is on disk."""

    def __init__(self, script: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def send(self, *words: str) -> None:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(" ".join(words) + "\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "ok", "the writer process died"

    def save(self, path: Path, data: bytes, style: str) -> None:
        self.send("save", str(path), style, data.hex())

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[Writer]:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    w = Writer(script)
    yield w
    w.close()


def wrap(monkeypatch: pytest.MonkeyPatch, name: str, before: Callable[[int], None] | None = None,
         after: Callable[[int], None] | None = None) -> None:
    """Run ``before(n)`` / ``after(n)`` around the n-th call (from 1) of ``patcher.<name>``
    (the swap's own steps, ``_swap`` and ``_exchange``, live in ``swap``)."""
    module = swap if name in ("_swap", "_exchange") else patcher
    real = getattr(module, name)
    calls = [0]

    def wrapped(*a: Any, **k: Any) -> Any:
        calls[0] += 1
        if before:
            before(calls[0])
        out = real(*a, **k)
        if after:
            after(calls[0])
        return out

    monkeypatch.setattr(module, name, wrapped)


def wrap_swap(monkeypatch: pytest.MonkeyPatch, before: Callable[[int], None] | None = None,
              after: Callable[[int], None] | None = None) -> None:
    """Around the step that puts the new file in place: ``_swap``, or ``os.replace`` for a
    patcher from before it (so these tests fail there on what happens to the save)."""
    if hasattr(swap, "_swap"):
        wrap(monkeypatch, "_swap", before, after)
        return
    real = os.replace
    calls = [0]

    def replace(*a: Any, **k: Any) -> None:
        calls[0] += 1
        if before:
            before(calls[0])
        real(*a, **k)
        if after:
            after(calls[0])

    monkeypatch.setattr(os, "replace", replace)


def leftovers(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.tmp"))


def mine(data: bytes, style: str) -> bytes:
    return data + f"# the user's save ({style})\n".encode()


# --- a save at each step of the write --------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
def test_save_between_the_read_and_the_write_is_kept(project: Path, writer: Writer, style: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    write(project, {"m.py": BODY})
    users = mine(BODY.encode(), style)
    wrap(monkeypatch, "_journal", after=lambda n: writer.save(project / "m.py", users, style))
    with Store(project) as store:
        result = apply_suggestions(project, store, [suggestion(project, "m.py", "x + 1", "1 + x")])
        assert (project / "m.py").read_bytes() == users
        assert not result.applied and result.stale_paths == ["m.py"]
        assert "saved while Kaizen was writing it" in result.refused[0].reason
        assert AuditLog(store).entries() == []
    assert leftovers(project) == []


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "no-exchange"])
@pytest.mark.parametrize("style", STYLES)
def test_save_just_before_the_swap_is_put_back(project: Path, writer: Writer, style: str, exchange: bool,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """After the last check, before the atomic swap: the swap hands back the user's file."""
    if not exchange:
        no_exchange(monkeypatch)
    write(project, {"m.py": BODY})
    users = mine(BODY.encode(), style)
    wrap_swap(monkeypatch, before=lambda n: n == 1 and writer.save(project / "m.py", users, style))
    with Store(project) as store:
        result = apply_suggestions(project, store, [suggestion(project, "m.py", "x + 1", "1 + x")])
        assert (project / "m.py").read_bytes() == users
        assert not result.applied and "your version was put back" in result.refused[0].reason
        assert AuditLog(store).entries() == []
    assert leftovers(project) == []


@pytest.mark.parametrize("style", STYLES)
def test_save_just_after_the_swap_stays(project: Path, writer: Writer, style: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A save after Kaizen's write replaces it, as any later save does: nothing to take back."""
    write(project, {"m.py": BODY})
    users = mine(BODY.encode(), style)
    wrap_swap(monkeypatch, after=lambda n: n == 1 and writer.save(project / "m.py", users, style))
    with Store(project) as store:
        apply_suggestions(project, store, [suggestion(project, "m.py", "x + 1", "1 + x")])
    assert (project / "m.py").read_bytes() == users
    assert leftovers(project) == []


def test_in_place_save_opened_before_the_swap_and_written_after(project: Path, writer: Writer,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The editor opened (truncated) the file before the swap and writes once Kaizen is done."""
    write(project, {"m.py": BODY})
    users = mine(BODY.encode(), "late")
    wrap_swap(monkeypatch, before=lambda n: n == 1 and writer.send("open", str(project / "m.py")))
    with Store(project) as store:
        result = apply_suggestions(project, store, [suggestion(project, "m.py", "x + 1", "1 + x")])
    writer.send("finish", str(project / "m.py"), users.hex())
    assert (project / "m.py").read_bytes() == users
    assert not result.applied and result.stale_paths == ["m.py"]


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "no-exchange"])
def test_saves_while_the_save_is_put_back_keep_the_newest(project: Path, writer: Writer, exchange: bool,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Saves keep landing while Kaizen gives the first one back: the newest ends in the file."""
    if not exchange:
        no_exchange(monkeypatch)
    write(project, {"m.py": BODY})
    saves = [BODY.encode() + f"# save {i}\n".encode() for i in range(4)]

    def before(n: int) -> None:
        if n <= len(saves):
            writer.save(project / "m.py", saves[n - 1], STYLES[n % 2])

    wrap_swap(monkeypatch, before=before)
    with Store(project) as store:
        result = apply_suggestions(project, store, [suggestion(project, "m.py", "x + 1", "1 + x")])
    assert (project / "m.py").read_bytes() == saves[-1]
    assert not result.applied
    assert leftovers(project) == []


@pytest.mark.parametrize("style", STYLES)
def test_without_exchange_a_save_in_the_gap_is_kept(project: Path, writer: Writer, style: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Where no atomic exchange exists the file is moved aside and Kaizen's linked in only if
    nothing took its place: a save created in that instant stays."""
    no_exchange(monkeypatch)
    write(project, {"m.py": BODY})
    users = mine(BODY.encode(), style)
    real_link = os.link
    fired = []

    def link(*a: Any, **k: Any) -> None:
        if not fired:
            fired.append(1)
            writer.save(project / "m.py", users, style)
        real_link(*a, **k)

    monkeypatch.setattr(os, "link", link)
    with Store(project) as store:
        result = apply_suggestions(project, store, [suggestion(project, "m.py", "x + 1", "1 + x")])
    assert fired and (project / "m.py").read_bytes() == users
    assert not result.applied
    assert leftovers(project) == []


@pytest.mark.parametrize("style", STYLES)
def test_save_while_undoing_is_kept(project: Path, writer: Writer, style: str,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    write(project, {"m.py": BODY})
    with Store(project) as store:
        assert apply_suggestions(project, store, [suggestion(project, "m.py", "x + 1", "1 + x")]).ok
        users = mine((project / "m.py").read_bytes(), style)
        wrap(monkeypatch, "_journal", after=lambda n: writer.save(project / "m.py", users, style))
        result = undo(project, store, last=1)
        assert (project / "m.py").read_bytes() == users
        assert not result.undone and "saved while Kaizen was writing it" in result.refused[0].reason
    assert leftovers(project) == []


def no_exchange(monkeypatch: pytest.MonkeyPatch) -> None:
    """Behave like a system or filesystem without renameat2(RENAME_EXCHANGE)."""
    def unsupported(*_a: object) -> None:
        raise OSError(errno.EINVAL, "exchange not supported here")

    monkeypatch.setattr(swap, "_exchange", unsupported, raising=False)


# --- a racing save-all ------------------------------------------------------------------------

FILES = 31
TRIALS = 40


def base(k: int) -> str:
    return f"# file {k}\n" + BODY


def race(project: Path, writer_script: Path, trial: int, apply: Callable[[], Any]) -> dict[str, int]:
    """One trial: the writer sweeps a save-all over the files while ``apply`` runs."""
    src = project / "src"
    stop = project / "apply-finished"
    stop.unlink(missing_ok=True)
    w = Writer(writer_script)
    try:
        assert w.proc.stdin
        w.proc.stdin.write(f"sweep {src} {trial} {FILES}\n")
        w.proc.stdin.flush()
        assert w.proc.stdout and w.proc.stdout.readline().strip() == "ready"
        try:
            apply()
        finally:
            stop.touch()
        assert w.proc.stdout.readline().strip() == "ok"
    finally:
        w.close()
    lost = sum((src / f"f{k:02d}.py").read_bytes() != saved(trial, k) for k in range(FILES))
    return {"saves": FILES, "lost": lost}


def fresh(project: Path) -> list[Any]:
    src = project / "src"
    write(src, {f"f{k:02d}.py": base(k) for k in range(FILES)})
    return [suggestion(src, f"f{k:02d}.py", "x + 1", "1 + x") for k in range(FILES)]


@pytest.mark.parametrize("exchange", [True, pytest.param(False, marks=pytest.mark.slow)],
                         ids=["exchange", "no-exchange"])
def test_racing_save_all_during_apply_loses_no_save(project: Path, tmp_path: Path, exchange: bool,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """40 trials, a save-all of 31 files each (1,240 saves), against the patcher API."""
    if not exchange:
        no_exchange(monkeypatch)
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    src = project / "src"
    src.mkdir()
    total = {"saves": 0, "lost": 0, "applied": 0, "kept": 0, "stale": 0}
    with Store(src) as store:
        for trial in range(TRIALS):
            chosen = fresh(project)
            outcome: dict[str, Any] = {}

            def apply(chosen: list[Any] = chosen, outcome: dict[str, Any] = outcome) -> None:
                outcome["result"] = apply_suggestions(src, store, chosen)

            counts = race(project, script, trial, apply)
            result = outcome["result"]
            total["saves"] += counts["saves"]
            total["lost"] += counts["lost"]
            total["applied"] += len(result.applied)
            total["kept"] += sum("saved while Kaizen" in r.reason for r in result.refused)
            total["stale"] += sum("changed since" in r.reason for r in result.refused)
            assert leftovers(src) == []
    print(f"\nracing save-all (patcher API, {'exchange' if exchange else 'no exchange'}): {total}")
    assert total["saves"] == FILES * TRIALS == 1240
    assert total["lost"] == 0, total


E2E_TRIALS = 8


@pytest.mark.slow
def test_racing_save_all_during_kaizen_apply_loses_no_save(project: Path, tmp_path: Path) -> None:
    """The same race against real ``main.py apply`` runs (fewer trials: each is a process)."""
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    src = project / "src"
    src.mkdir()
    total = {"saves": 0, "lost": 0}
    for trial in range(E2E_TRIALS):
        chosen = fresh(project)
        with Store(src) as store:
            store.put_suggestions(chosen)

        ids = [s.id for s in chosen]

        def apply(ids: list[str] = ids) -> None:
            r = subprocess.run([sys.executable, str(ROOT / "main.py"), "apply", str(src), *ids],
                               capture_output=True, text=True, timeout=300)
            assert r.returncode in (0, 1) and "Traceback" not in r.stderr, r.stderr

        counts = race(project, script, trial, apply)
        total["saves"] += counts["saves"]
        total["lost"] += counts["lost"]
    print(f"\nracing save-all (main.py apply): {total}")
    assert total["lost"] == 0, total
