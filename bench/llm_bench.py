"""What the LLM engine costs on real code, beside the bare minimum it builds on.

    python bench/llm_bench.py [--functions N] [--requests N]
    python bench/llm_bench.py --cases [N] [--attempts 1,3]   # the real model (make llm)

With ``--cases``: the one-line bugs of bench/llm_cases (the first N, default all) go through
Kaizen's whole LLM path (scan, trace, ask_llm: prompt, reply, parse, validate, repair) with
the real model (llama.cpp + the packaged model, ``make llm``) for each ``--attempts`` value,
beside the same run with the scripted server sending the right answer (the pipeline's own
cost). Printed per run: the funnel per stage, tokens per second, wall time per target.

On the functions of a real project (boltons, downloaded as an sdist into bench/.cache/):

* prompt building (code, surroundings, symbol map, redaction) vs. just slicing the
  function's text out of the file;
* anchor location of a reply's SEARCH text (exact, re-indented, whitespace-damaged) vs.
  ``str.find`` of the exact text;
* a candidate end to end through the real openai client and a loopback scripted server
  (stream, parse, patch) vs. the same request made with the bare openai client, and a
  cached candidate.

Figures are printed, not asserted: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import ast
import statistics
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.config import load_config  # noqa: E402
from suggestions.analyze.scan import scan_project  # noqa: E402
from suggestions.llm import LLMEngine  # noqa: E402
from suggestions.llm.prompts import build_prompt  # noqa: E402
from suggestions.llm.replies import locate  # noqa: E402
from suggestions.store import Store  # noqa: E402
from tests.llm_server import Reply, ScriptedServer  # noqa: E402
from tests.llm_targets import finding_target  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
PROJECT = ("boltons", "26.2.0")


def fetch() -> Path:
    name, version = PROJECT
    CACHE.mkdir(parents=True, exist_ok=True)
    sdist = CACHE / f"{name}-{version}.tar.gz"
    if not sdist.exists():
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
                        f"{name}=={version}", "-d", str(CACHE)], check=True, capture_output=True)
    dest = CACHE / f"{name}-{version}"
    if not dest.exists():
        with tarfile.open(sdist) as tar:
            tar.extractall(CACHE, filter="data")
    return dest


def functions(root: Path, limit: int) -> list[tuple[str, int, int, str]]:
    out = []
    for path in sorted((root / "boltons").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef) and node.end_lineno and node.end_lineno - node.lineno < 60:
                out.append((path.relative_to(root).as_posix(), node.lineno, node.end_lineno, text))
    step = max(1, len(out) // limit)
    return out[::step][:limit]


def per_call(fn, items, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for it in items:
            fn(it)
        best = min(best, time.perf_counter() - t0)
    return best / max(1, len(items))


def cases_bench(limit: int | None, attempts: list[int]) -> None:
    from tests.llm_pipeline import case_names
    from tests.real_llm import ENABLE, ServerProcess, find_engine

    names = case_names()[:limit] if limit else case_names()
    engine = find_engine()
    if engine is None and attempts:
        print(f"skipped: {ENABLE}")
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if engine is not None and attempts:
            with ServerProcess(engine, Path(tmp) / "server.log") as real:
                for n in attempts:
                    rows.append((f"{engine.alias}, attempts={n}",
                                 _cases(names, Path(tmp) / f"real{n}", real.base_url, real.model, n, None)))
        with ScriptedServer() as server:
            rows.append(("scripted (right answer), attempts=1",
                         _cases(names, Path(tmp) / "scripted", server.base_url, "scripted", 1, server)))
    stages = ["targets", "prompts", "parsed", "applied", "validated", "proven", "accepted"]
    print(f"{len(names)} cases: {', '.join(names)}")
    print(f"{'run':<40}" + "".join(f"{s:>10}" for s in stages) + f"{'tok/s':>8}{'s/target':>10}{'fixed':>7}")
    for label, (total, fixed, tps, per_target) in rows:
        print(f"{label:<40}" + "".join(f"{total[s]:>10}" for s in stages)
              + f"{tps:>8.1f}{per_target:>10.1f}{fixed:>7}")


def _cases(names: list[str], base: Path, url: str, model: str, attempts: int,
           scripted: ScriptedServer | None) -> tuple[dict[str, int], int, float, float]:
    from tests.llm_pipeline import answer_reply, prepare, run_case

    total = dict.fromkeys(["targets", "prompts", "parsed", "applied", "validated", "proven", "accepted"], 0)
    fixed, tokens, reply_s, wall = 0, 0, 0.0, 0.0
    for name in names:
        if scripted is not None:
            scripted.push(Reply(answer_reply(name)))  # attempts = 1: one reply per case
        project = prepare(name, base / name, url, model, attempts=attempts, timeout=600)
        run = run_case(project, name)
        f = run.funnel
        if f is None:
            print(f"  {name}: no run ({'; '.join(run.notes)[:200]})", flush=True)
            continue
        for k in total:
            total[k] += int(getattr(f, k))
        fixed += any(s.validation.status.value == "passed" for s in run.offered)
        if scripted is not None and not any(s.validation.status.value == "passed" for s in run.offered):
            why = [s.validation.log.splitlines()[:3] for s in run.offered] or run.notes
            print(f"  {name}: the right answer did not pass: {why}", flush=True)
        tokens += f.completion_tokens
        reply_s += f.reply_seconds
        wall += run.seconds
        outcomes = ", ".join(a.outcome for a in run.attempts)
        print(f"  {name}: {outcomes} ({run.seconds:.0f} s)", flush=True)
    per_target = wall / max(1, total["targets"])
    return total, fixed, (tokens / reply_s if reply_s else 0.0), per_target


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--functions", type=int, default=200)
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument("--cases", type=int, nargs="?", const=0, default=None,
                    help="run the bench/llm_cases through the real model (the first N; none: all)")
    ap.add_argument("--attempts", default="1,3",
                    help="attempts per candidate with the real model, e.g. 1,3 (\"\": the scripted run only)")
    args = ap.parse_args()
    if args.cases is not None:
        import signal

        signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the model server on the way out
        cases_bench(args.cases or None, [int(a) for a in args.attempts.split(",") if a.strip()])
        return
    src = fetch()
    with tempfile.TemporaryDirectory() as tmp:
        proj = Path(tmp) / "proj"
        proj.mkdir()
        for p in (src / "boltons").glob("*.py"):
            (proj / "boltons").mkdir(exist_ok=True)
            (proj / "boltons" / p.name).write_bytes(p.read_bytes())
        config = load_config(proj)
        store = Store(proj)
        res = scan_project(proj, config, jobs=1)
        store.update_files([f.record for f in res.files if f.record],
                           symbols={f.path: f.symbols for f in res.files if f.record})
        funcs = functions(proj, args.functions)
        print(f"{PROJECT[0]} {PROJECT[1]}: {len(funcs)} functions "
              f"from {len(list((proj / 'boltons').glob('*.py')))} files")

        # 1. prompts
        def slice_only(f: tuple[str, int, int, str]) -> None:
            text = (proj / f[0]).read_text(encoding="utf-8")
            "\n".join(text.splitlines()[f[1] - 1 : f[2]])

        def prompt(f: tuple[str, int, int, str]) -> None:
            build_prompt(proj, finding_target(f[0], f[1], f[2]), context_tokens=6000, symbols=store.symbols)

        base = per_call(slice_only, funcs)
        full = per_call(prompt, funcs)
        tokens = [build_prompt(proj, finding_target(f[0], f[1], f[2]), symbols=store.symbols).tokens
                  for f in funcs]
        print(f"prompt build      {full * 1e3:8.2f} ms/target   baseline (slice text) {base * 1e3:7.3f} ms"
              f"   ratio {full / base:6.1f}x   tokens median {statistics.median(tokens):.0f}, max {max(tokens)}")

        # 2. anchors
        cases = []
        for _path, a, b, text in funcs:
            lines = text.splitlines(keepends=True)
            body = "".join(lines[a - 1 : b])
            cases.append((text, body, textwrap.dedent(body), body.replace(", ", ",  ").replace(" = ", "="), a))
        base = per_call(lambda c: c[0].find(c[1]), cases)
        for label, idx in (("exact", 1), ("re-indented", 2), ("whitespace", 3)):
            t = per_call(lambda c, i=idx: locate(c[0], c[i], c[i], near_line=c[4]), cases)
            found = sum(1 for c in cases if locate(c[0], c[idx], c[idx], near_line=c[4]) is not None)
            print(f"anchor {label:<11}{t * 1e6:8.1f} us/block    baseline (str.find)   {base * 1e6:7.2f} us"
                  f"   ratio {t / base:6.1f}x   found {found}/{len(cases)}")

        # 3. round trips
        import openai

        n = args.requests
        with ScriptedServer() as server:
            (proj / "kaizen.toml").write_text(
                f'[llm]\nbase-url = "{server.base_url}"\nmodel = "bench"\ncandidates = 1\nconcurrency = 1\n'
                "daily-token-budget = 0\n")
            engine = LLMEngine(proj, load_config(proj), store, environ={})
            targets = [finding_target(f[0], f[1], f[2]) for f in funcs[:n]]
            replies = []
            for f in funcs[:n]:
                first = f[3].splitlines()[f[1] - 1]
                replies.append(Reply(f"Rename nothing, add a comment.\n\n{f[0]}\n<<<<<<< SEARCH\n{first}\n=======\n"
                                     f"{first}  # reviewed\n>>>>>>> REPLACE\n", chunk=16))
            server.push(*replies)
            t0 = time.perf_counter()
            made = engine.generate(targets)
            kaizen_s = (time.perf_counter() - t0) / n
            t0 = time.perf_counter()
            engine.generate(targets)
            cached_s = (time.perf_counter() - t0) / n
            client = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0)
            server.push(*replies)
            t0 = time.perf_counter()
            for _ in targets:
                stream = client.chat.completions.create(model="bench", stream=True, messages=[
                    {"role": "user", "content": "x" * 4000}])
                "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
            bare_s = (time.perf_counter() - t0) / n
            client.close()
        print(f"candidate (live)  {kaizen_s * 1e3:8.2f} ms/request  baseline (bare client) {bare_s * 1e3:6.2f} ms"
              f"   ratio {kaizen_s / bare_s:6.1f}x   suggestions {len(made)}/{n}")
        print(f"candidate (cache) {cached_s * 1e3:8.2f} ms/request  ratio vs bare client {cached_s / bare_s:6.2f}x")
        store.close()


if __name__ == "__main__":
    main()
