"""The SQLite store: WAL, per-component migrations, suggestions and decisions round-trip."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
import tree_sitter

from analysis.store import StoreError
from suggestions.model import (
    Applicability,
    Decision,
    DecisionAction,
    Edit,
    Patch,
    Span,
    Suggestion,
    fingerprint_of,
)
from suggestions.store import Store


def make(path: str = "a.py", code: str = "KZ101", text: str = "x=[]") -> Suggestion:
    return Suggestion(
        fingerprint=fingerprint_of(code, path, text),
        code=code,
        title="t",
        rationale="r",
        path=path,
        span=Span(1, 0, 1, 4, 0, 4),
        patch=Patch(path, "h", (Edit(0, 4, "x=None"),)),
        applicability=Applicability.SAFE,
        confidence=0.9,
        evidence={"share": 0.4},
    )


def test_state_dir_ignores_itself(project: Path) -> None:
    with Store(project) as store:
        assert store.path == project / ".kaizen" / "kaizen.db"
    assert (project / ".kaizen" / ".gitignore").read_text().strip().endswith("*")
    mode = sqlite3.connect(project / ".kaizen" / "kaizen.db").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_component_migrations_apply_once_and_in_order(project: Path) -> None:
    steps = ("CREATE TABLE t (a INTEGER);", "ALTER TABLE t ADD COLUMN b TEXT DEFAULT 'x';")
    with Store(project) as store:
        store.ensure_schema("demo", steps[:1])
        store.execute("INSERT INTO t(a) VALUES (1)")
        assert store.schema_version("demo") == 1
    with Store(project) as store:  # a newer Kaizen adds a step; data survives
        store.ensure_schema("demo", steps)
        assert store.schema_version("demo") == 2
        assert [tuple(r) for r in store.execute("SELECT a, b FROM t")] == [(1, "x")]
        store.ensure_schema("demo", steps)  # idempotent
        assert store.schema_version("core") >= 1


def test_newer_schema_is_refused(project: Path) -> None:
    with Store(project) as store:
        store.ensure_schema("demo", ("CREATE TABLE t (a);", "CREATE TABLE u (a);"))
    with Store(project) as store, pytest.raises(StoreError, match="newer"):
        store.ensure_schema("demo", ("CREATE TABLE t (a);",))


def test_failed_migration_rolls_back(project: Path) -> None:
    with Store(project) as store:
        with pytest.raises(sqlite3.OperationalError):
            store.ensure_schema("bad", ("CREATE TABLE ok (a); CREATE TABLE broken (;",))
        assert store.schema_version("bad") == 0
        assert not store.execute("SELECT name FROM sqlite_master WHERE name='ok'")


def test_corrupt_database_is_a_clear_error(project: Path) -> None:
    (project / ".kaizen").mkdir()
    (project / ".kaizen" / "kaizen.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open"):
        Store(project)


def test_suggestions_round_trip_and_replace(project: Path) -> None:
    a, b, c = make("a.py", text="1"), make("a.py", text="2"), make("b.py", text="3")
    with Store(project) as store:
        store.replace_suggestions(["a.py", "b.py"], [a, b, c])
        assert {s.fingerprint for s in store.suggestions()} == {a.fingerprint, b.fingerprint, c.fingerprint}
        assert store.suggestion(a.id) == a
        store.replace_suggestions(["a.py"], [b])
        assert {s.fingerprint for s in store.suggestions()} == {b.fingerprint, c.fingerprint}
        assert store.suggestions("b.py") == [c]


def test_files_symbols_and_decisions(project: Path) -> None:
    with Store(project) as store:
        store.update_files(
            [("a.py", "python", "h1", 10, 1, "utf-8", False, 0)],
            symbols={"a.py": [("f", "function", True, 1, 0, 2, "", "")]},
            skipped={"big.py": "too large"},
        )
        assert store.file_hashes() == {"a.py": "h1"}
        assert store.skipped() == {"big.py": "too large"}
        assert store.symbols(name="f")[0]["kind"] == "function"
        store.update_files([], removed=["a.py"])
        assert store.file_hashes() == {} and store.symbols() == []
        d = Decision("fp", DecisionAction.REJECT, "user", time.time(), "false positive", "KZ101", "a.py")
        store.add_decision(d)
        assert store.decisions("fp") == [d]
        assert store.latest_decisions()["fp"] == d


def test_json_round_trip_of_the_model() -> None:
    import json

    s = make()
    assert Suggestion.from_dict(json.loads(json.dumps(s.to_dict()))) == s
    with pytest.raises(ValueError, match="overlapping"):
        Patch("a.py", "h", (Edit(0, 5, "x"), Edit(3, 6, "y")))
    p = Patch("a.py", "h", (Edit(6, 7, "B"), Edit(0, 1, "A")))
    assert p.apply(b"abcdefgh") == b"AbcdefBh"


def test_suggestion_to_dict_equals_the_generic_encoding() -> None:
    from suggestions.model import ScoreTerm, Validation, ValidationStatus, _to_json

    plain = make()
    rich = plain.replace(
        patch=None,
        validation=Validation(ValidationStatus.PASSED, ("t::a",), (), 1.5, log="ok"),
        score=0.7,
        score_breakdown=(ScoreTerm("impact", 0.4, "hot"),),
        evidence={"copies": [{"path": "b.py", "start_line": 3}], "calls": 12},
    )
    for s in (plain, rich):
        assert s.to_dict() == _to_json(s)


def test_bulk_symbol_write_keeps_the_indexes(project: Path) -> None:
    rows = [(f"f{i}", "call", False, i, 0, i, "", "") for i in range(25_000)]
    with Store(project) as store:
        store.update_files([("a.py", "python", "h", 1, 1, "utf-8", False, 0)], symbols={"a.py": rows})
        store.update_files([("b.py", "python", "h", 1, 1, "utf-8", False, 0)], symbols={"b.py": rows[:3]})
        assert [r["line"] for r in store.symbols(name="f2")] == [2, 2]
        indexes = {r[0] for r in store.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert {"symbols_path", "symbols_name"} <= indexes
        plan = " ".join(str(tuple(r)) for r in store.execute("EXPLAIN QUERY PLAN SELECT * FROM symbols WHERE name='f1'"))
        assert "symbols_name" in plan
        # A second bulk write replaces the file's rows instead of adding to them.
        store.update_files([("a.py", "python", "h2", 1, 1, "utf-8", False, 0)], symbols={"a.py": rows})
        assert len(store.symbols(path="a.py")) == 25_000


def test_replacing_suggestions_keeps_when_each_was_first_seen(project: Path) -> None:
    kept, gone = make("a.py", text="x=[]"), make("a.py", text="y=[]")
    with Store(project) as store:
        store.replace_suggestions(["a.py"], [kept, gone])
        first = dict(store.execute("SELECT fingerprint, created_at FROM suggestions"))
        time.sleep(0.01)
        new = make("a.py", text="z=[]")
        store.replace_suggestions(["a.py", "b.py"], [kept, new])
        rows = {r[0]: (r[1], r[2]) for r in store.execute("SELECT fingerprint, created_at, updated_at FROM suggestions")}
    assert set(rows) == {kept.fingerprint, new.fingerprint}
    assert rows[kept.fingerprint][0] == first[kept.fingerprint] < rows[kept.fingerprint][1]
    assert rows[new.fingerprint][0] == rows[new.fingerprint][1] > first[kept.fingerprint]


def test_references_are_folded_per_name_and_unfolded_on_read(project: Path) -> None:
    from analysis.languages import query, query_text
    from analysis.parsing import parse
    from analysis.symbols import extract_symbols, symbol_rows_from_matches

    source = b"""import helper

class Thing:
    def run(self):
        helper(1)
        print(helper(2),
              self.tools.helper(3))

helper(4)
"""
    tree = parse("python", source)
    cursor = tree_sitter.QueryCursor(query("python", query_text("python", "tags")))
    rows = symbol_rows_from_matches([c for _, c in cursor.matches(tree.root_node)], source)
    assert [r[0] for r in rows if r[7]] == ["helper"]  # one row for the four calls
    assert len(rows) == 5  # Thing, run, the import, helper(), print()
    found = extract_symbols("python", tree, source)
    assert len(found) == 8
    with Store(project) as store:
        store.update_files([("m.py", "python", "h", 1, 1, "utf-8", False, 0)], symbols={"m.py": rows})
        back = [tuple(r) for r in store.symbols(path="m.py")]
        assert sorted(back) == sorted(("m.py", *s[:6], s.container) for s in found)
        assert [(r["line"], r["col"], r["kind"]) for r in store.symbols(name="helper")] == [
            (1, 7, "import"), (5, 8, "call"), (6, 14, "call"), (7, 25, "call"), (9, 0, "call")
        ]  # a call is where its name is
        assert store.symbols(name="run")[0]["container"] == "Thing"


def test_state_folder_that_is_a_file_is_a_clear_error(project: Path) -> None:
    (project / ".kaizen").write_text("x")
    with pytest.raises(StoreError, match="not a folder"):
        Store(project)


def test_after_commit_runs_once_committed_and_never_on_rollback(project: Path) -> None:
    ran: list[str] = []
    with Store(project) as store:
        with store.transaction():
            store.after_commit(lambda: ran.append("a"))
            assert ran == []
        assert ran == ["a"]
        with pytest.raises(RuntimeError), store.transaction():
            store.after_commit(lambda: ran.append("b"))
            raise RuntimeError
        store.after_commit(lambda: ran.append("c"))  # outside a transaction: at once
    assert ran == ["a", "c"]


def test_an_emptied_database_is_noticed_as_new(project: Path) -> None:
    with Store(project) as store:
        assert store.created
    with Store(project) as store:
        assert not store.created
    (project / ".kaizen" / "kaizen.db").write_bytes(b"")
    with Store(project) as store:
        assert store.created
