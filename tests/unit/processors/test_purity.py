"""processors/ is the functional core: standard library only, and no clock, randomness or I/O."""
import ast
import sys
from pathlib import Path

PROCESSORS = Path(__file__).resolve().parents[3] / "processors"
FORBIDDEN = {"time", "random", "secrets", "uuid", "os", "socket", "asyncio", "threading", "logging"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_processors_import_only_the_standard_library_and_themselves() -> None:
    for path in PROCESSORS.rglob("*.py"):
        outside = imported_modules(path) - set(sys.stdlib_module_names) - {"processors", "__future__"}
        assert not outside, f"{path} imports {outside}"


def test_processors_never_read_a_clock_randomness_or_the_outside_world() -> None:
    for path in PROCESSORS.rglob("*.py"):
        assert not imported_modules(path) & FORBIDDEN, f"{path} imports {imported_modules(path) & FORBIDDEN}"
