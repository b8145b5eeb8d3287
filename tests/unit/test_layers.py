"""The stack runs one way: pure core <- the 2FA library (twofactor, audit) <- the demo portal.

Read from the source's import statements, so a new import against the direction fails here.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "portal2fa"
DEMO = ("portal2fa.accounts", "portal2fa.config", "portal2fa.cli", "portal2fa.demo")
PURE_CORE = ("totp.py", "backup_codes.py", "crypto.py", "access_pass.py", "typed.py")


def imports_of(path: Path) -> set[str]:
    """Absolute names of every module the file imports (relative imports resolved)."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def sources(app: str) -> list[Path]:
    return sorted((PACKAGE / app).rglob("*.py"))


@pytest.mark.parametrize("app", ["twofactor", "audit"])
def test_the_library_never_imports_the_demo_portal(app):
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(n for n in imports_of(path) if n.startswith(DEMO))
        for path in sources(app)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_audit_stands_below_twofactor():
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in sources("audit")
        if any(name.startswith("portal2fa.twofactor") for name in imports_of(path))
    ]
    assert offenders == []


@pytest.mark.parametrize("name", PURE_CORE)
def test_the_pure_core_needs_no_django(name):
    names = imports_of(PACKAGE / "twofactor" / name)
    core = tuple(f"portal2fa.twofactor.{module.removesuffix('.py')}" for module in PURE_CORE)
    outside = [n for n in names if n.startswith(("django", "portal2fa")) and not n.startswith(core)]
    assert not outside, outside


def test_the_checker_sees_a_relative_import_of_the_demo(tmp_path, monkeypatch):
    fake = PACKAGE / "twofactor" / "_layer_probe.py"
    monkeypatch.setattr(Path, "read_text", lambda self, **kw: "from ..accounts import models\n")
    assert "portal2fa.accounts" in imports_of(fake)


@pytest.mark.parametrize("app", ["twofactor", "audit"])
def test_library_migrations_never_depend_on_the_demos_apps(app):
    """A host has no `accounts` app: the user model is a swappable dependency, never the demo's
    (makemigrations run in the demo writes ("accounts", …) for a ForeignKey to the user)."""
    for path in sorted((PACKAGE / app / "migrations").glob("0*.py")):
        source = path.read_text(encoding="utf-8")
        assert '"accounts"' not in source and "'accounts'" not in source, path.name


def private_names_borrowed(path: Path) -> list[str]:
    """Private names (`_x`) this file takes from another module: imported, or read as an attribute
    of an imported module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules, borrowed = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom | ast.Import):
            for alias in node.names:
                name = alias.name.rsplit(".", 1)[-1]
                if name.startswith("_") and not name.startswith("__"):
                    borrowed.append(alias.name)
                modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and node.attr != "_meta"  # Django's documented model API
        ):
            borrowed.append(f"{node.value.id}.{node.attr}")
    return borrowed


def test_no_module_borrows_a_private_name_of_another():
    """What a module shares is public; its `_` names can change without a look elsewhere."""
    offenders = {
        str(path.relative_to(PACKAGE)): private_names_borrowed(path)
        for path in sorted(PACKAGE.rglob("*.py"))
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_borrow_checker_sees_an_attribute_and_an_import(monkeypatch):
    source = "from . import challenge as c\nfrom .x import _y\nc._complete()\n"
    monkeypatch.setattr(Path, "read_text", lambda self, **kw: source)
    assert private_names_borrowed(PACKAGE / "probe.py") == ["_y", "c._complete"]
