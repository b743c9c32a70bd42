"""`ml/` is the library under the web app: it never imports the web layer (issue 29), not even inside a
function (a deferred import hides a cycle, it does not remove it). The web app's own benchmarks live in
tools/. And the web process never loads torch: tests/web/test_no_torch.py."""
import ast
from pathlib import Path

ML = Path(__file__).resolve().parents[2] / "ml"
WEB = ("django", "poseapp", "webapp", "channels", "celery", "daphne", "uvicorn")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def test_ml_never_imports_the_web_layer():
    offenders = {}
    for path in sorted(ML.rglob("*.py")):
        bad = sorted(m for m in imported_modules(path) if m.split(".")[0] in WEB)
        if bad:
            offenders[str(path.relative_to(ML.parent))] = bad
    assert offenders == {}, offenders


def test_the_check_sees_a_deferred_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from poseapp.models import PoseJob\n    import django\n")
    assert imported_modules(module) == {"poseapp.models", "django"}
