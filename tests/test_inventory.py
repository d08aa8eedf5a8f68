"""The inventory: gitignore semantics, built-in ignores and every kind of bad file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from analysis.inventory import (
    IgnoreMatcher,
    decode_source,
    encode_source,
    read_source,
    scan_inventory,
)
from tests.conftest import write


def paths(root: Path) -> list[str]:
    return [f.path for f in scan_inventory(root).files]


def test_languages_by_extension(project: Path) -> None:
    write(project, {"a.py": "x = 1\n", "b.ts": "let x = 1;\n", "c.tsx": "", "d.go": "", "e.rs": "",
                    "f.java": "", "g.c": "", "h.h": "", "i.js": "", "README.md": "# hi\n"})
    langs = {f.path: f.language for f in scan_inventory(project).files}
    assert langs == {"a.py": "python", "b.ts": "typescript", "c.tsx": "tsx", "d.go": "go", "e.rs": "rust",
                     "f.java": "java", "g.c": "c", "h.h": "c", "i.js": "javascript"}


def test_builtin_ignores(project: Path) -> None:
    write(project, {
        "src/a.py": "", ".git/x.py": "", "node_modules/m/index.js": "", "__pycache__/a.py": "",
        "build/gen.py": "", ".kaizen/x.py": "", "pkg.egg-info/x.py": "", "src/.a.py.swp": "",
        "myenv/pyvenv.cfg": "home = /usr\n", "myenv/lib/site.py": "",
    })
    assert paths(project) == ["src/a.py"]


def test_nested_gitignore_and_negation(project: Path) -> None:
    write(project, {
        ".gitignore": "*.gen.py\nlogs/\nsecret*.py\n!secret_ok.py\n",
        "a.py": "", "b.gen.py": "", "logs/x.py": "", "secret1.py": "", "secret_ok.py": "",
        "sub/.gitignore": "local.py\n!keep.gen.py\n/anchored.py\n",
        "sub/local.py": "", "sub/keep.gen.py": "", "sub/other.gen.py": "", "sub/anchored.py": "",
        "sub/deeper/anchored.py": "", "sub/deeper/local.py": "",
    })
    assert paths(project) == ["a.py", "secret_ok.py", "sub/deeper/anchored.py", "sub/keep.gen.py"]
    m = IgnoreMatcher(project)
    assert m.is_ignored("logs/new.py")
    assert m.is_ignored("sub/deeper/local.py")
    assert not m.is_ignored("sub/keep.gen.py")
    assert m.is_ignored("x/.main.py.swp")


def test_binary_huge_and_non_utf8(project: Path) -> None:
    write(project, {
        "bin.py": b"\x00\x01\x02binary",
        "huge.py": "x = 1\n" * 400_000,
        "latin.py": "s = 'café'\n".encode("latin-1"),
        "cookie.py": "# -*- coding: latin-1 -*-\ns = 'é'\n".encode("latin-1"),
        "ok.py": "s = 'é'\n",
    })
    inv = scan_inventory(project, max_size=1_000_000)
    skipped = {s.path: s.reason for s in inv.skipped}
    assert "too large" in skipped["huge.py"]
    assert "huge.py" not in [f.path for f in inv.files]
    with pytest.raises(ValueError, match="binary"):
        read_source(project / "bin.py")
    latin = read_source(project / "latin.py")
    assert latin.fallback and latin.text == "s = 'café'\n"
    cookie = read_source(project / "cookie.py")
    assert cookie.encoding == "iso8859-1" and not cookie.fallback and "é" in cookie.text
    ok = read_source(project / "ok.py")
    assert ok.encoding == "utf-8" and not ok.fallback and ok.data == "s = 'é'\n".encode()


@pytest.mark.parametrize(
    "raw",
    [b"a\r\nb\r\n", b"\xef\xbb\xbfx = 1\n", "caf\xe9\n".encode("latin-1"), b"no newline", b""],
)
def test_decode_encode_round_trip_is_byte_exact(raw: bytes) -> None:
    text, enc, _, bom = decode_source(raw)
    assert encode_source(text, enc, bom) == raw


def test_symlink_loop_and_broken_link(project: Path) -> None:
    write(project, {"pkg/a.py": "x = 1\n"})
    os.symlink(project / "pkg", project / "pkg" / "loop")
    os.symlink(project / "missing.py", project / "dangling.py")
    inv = scan_inventory(project)
    assert [f.path for f in inv.files] == ["pkg/a.py"]
    reasons = {s.path: s.reason for s in inv.skipped}
    assert "symlink loop" in reasons["pkg/loop"]
    assert reasons["dangling.py"] == "broken symlink"


def test_permission_denied_is_a_reason_not_a_crash() -> None:
    """A folder and a file the user may not read: skipped with the reason, no crash.

    Root reads everything, so as root the check runs with the effective uid of 'nobody'.
    """
    import shutil
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="kaizen-perm-"))
    euid = os.geteuid()
    try:
        os.chmod(base, 0o755)
        write(base, {"locked/a.py": "", "b.py": "x = 1\n", "c.py": "y = 2\n"})
        os.chmod(base / "locked", 0o700)
        os.chmod(base / "c.py", 0o600)
        if euid == 0:
            os.seteuid(65534)
        try:
            inv = scan_inventory(base)
            with pytest.raises(ValueError, match="Permission denied"):
                read_source(base / "c.py")
        finally:
            if euid == 0:
                os.seteuid(0)
        assert [f.path for f in inv.files] == ["b.py", "c.py"]
        assert "Permission denied" in {s.path: s.reason for s in inv.skipped}["locked"]
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_links_to_the_project_itself_or_above_are_not_walked(project: Path) -> None:
    write(project, {"a.py": "x = 1\n"})
    os.symlink(".", project / "self")
    os.symlink("..", project / "up")
    inv = scan_inventory(project)
    assert [f.path for f in inv.files] == ["a.py"]
    reasons = {s.path: s.reason for s in inv.skipped}
    assert reasons["self"] == "symlink loop (links to the project folder itself)"
    assert reasons["up"] == f"symbolic link to outside the project ({project.parent.resolve()})"
