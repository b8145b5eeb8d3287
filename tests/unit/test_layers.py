"""The stack runs one way: pure core <- the 2FA library (twofactor, audit) <- the demo portal.

Read from the source's import statements, so a new import against the direction fails here.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "portal2fa"
DEMO = ("portal2fa.accounts", "portal2fa.config", "portal2fa.cli", "portal2fa.demo")
LIBRARY = "portal2fa.twofactor"
CORE = f"{LIBRARY}.core"
MACHINERY = f"{LIBRARY}.machinery"
# What stands above a layer, by package: a layer never imports what is built on it.
ABOVE_MACHINERY = tuple(
    f"{LIBRARY}.{name}" for name in ("services", "views", "web", "passkeys", "cli", "urls")
)
ABOVE_SERVICES = tuple(f"{LIBRARY}.{name}" for name in ("views", "web", "passkeys.views", "cli"))


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


@pytest.mark.parametrize("app", ["twofactor", "audit", "api"])
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


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(
        ".__init__"
    )


def under(name: str, packages: tuple[str, ...] | str) -> bool:
    packages = (packages,) if isinstance(packages, str) else packages
    return any(name == package or name.startswith(f"{package}.") for package in packages)


@pytest.mark.parametrize("path", sources("twofactor/core"), ids=lambda path: path.name)
def test_the_pure_core_needs_no_django_and_nothing_above_it(path):
    outside = [
        name
        for name in imports_of(path)
        if name.split(".")[0] in ("django", "portal2fa") and not under(name, CORE)
    ]
    assert not outside, outside


@pytest.mark.parametrize(
    ("layer", "above"),
    [(MACHINERY, ABOVE_MACHINERY), (f"{LIBRARY}.services", ABOVE_SERVICES)],
    ids=["machinery", "services"],
)
def test_a_layer_never_imports_what_is_built_on_it(layer, above):
    offenders = {
        module_name(path): sorted(name for name in imports_of(path) if under(name, above))
        for path in sources(layer.removeprefix("portal2fa.").replace(".", "/"))
    }
    assert {k: v for k, v in offenders.items() if v} == {}


PASSKEY_USE_CASES = ("services", "selectors", "verification", "step_up", "enrollment")
PASSKEY_WEB = tuple(f"{LIBRARY}.passkeys.{name}" for name in ("views", "ceremony", "urls"))


@pytest.mark.parametrize("name", PASSKEY_USE_CASES)
def test_the_passkey_use_cases_stand_below_their_views(name):
    """The passkeys package holds a whole method; its use cases and reads keep the services' rule."""
    path = PACKAGE / "twofactor" / "passkeys" / f"{name}.py"
    above = (*ABOVE_SERVICES, *PASSKEY_WEB)
    assert sorted(n for n in imports_of(path) if under(n, above)) == []


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of portal2fa it imports, from every import statement in it (those
    inside functions too: a function-local import hides a cycle, it does not remove it)."""
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph = {}
    for module, path in paths.items():
        targets = set()
        for name in imports_of(path):
            while name and name not in paths:  # `from x import name`: name is not a module
                name = name.rpartition(".")[0]
            if name and name != module and not paths[name].name == "__init__.py":
                targets.add(name)
        graph[module] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected group of modules (Tarjan), as the modules in it."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_not_even_through_function_local_imports():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_sees_a_cycle_through_a_function_local_import(monkeypatch):
    sources_by_name = {
        "a.py": "from . import b\n",
        "b.py": "def later():\n    from .a import thing\n",
    }
    fake = PACKAGE / "twofactor" / "probe"
    graph = {}
    for name, source in sources_by_name.items():
        monkeypatch.setattr(Path, "read_text", lambda self, source=source, **kw: source)
        graph[module_name(fake / name)] = {
            n for n in imports_of(fake / name) if n.rpartition(".")[2] in ("a", "b")
        }
    assert cycles(graph) == [["portal2fa.twofactor.probe.a", "portal2fa.twofactor.probe.b"]]


def test_the_checker_sees_a_relative_import_of_the_demo(tmp_path, monkeypatch):
    fake = PACKAGE / "twofactor" / "_layer_probe.py"
    monkeypatch.setattr(Path, "read_text", lambda self, **kw: "from ..accounts import models\n")
    assert "portal2fa.accounts" in imports_of(fake)


@pytest.mark.parametrize("app", ["twofactor", "audit", "api"])
def test_library_migrations_never_depend_on_the_demos_apps(app):
    """A host has no `accounts` app: the user model is a swappable dependency, never the demo's
    (makemigrations run in the demo writes ("accounts", …) for a ForeignKey to the user)."""
    for path in sorted((PACKAGE / app / "migrations").glob("0*.py")):
        source = path.read_text(encoding="utf-8")
        assert '"accounts"' not in source and "'accounts'" not in source, path.name


@pytest.mark.parametrize("app", ["twofactor", "audit"])
def test_the_library_never_imports_the_optional_api_app(app):
    """The API app sits above the library: a host without portal2fa[api] must not need it (its
    commands reach the library's CLI through an entry point, not an import)."""
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in sources(app)
        if any(name.startswith("portal2fa.api") for name in imports_of(path))
    ]
    assert offenders == []


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
