"""Live mode's websocket protocol (issue 31) is defined once, in poseapp/live.py: docs/websocket.md lists
exactly those types both ways, the server sends no other type, and the page's generated tables match."""
import re
from pathlib import Path

from poseapp import live

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "websocket.md"


def _doc_types(arrow: str) -> list[str]:
    return re.findall(rf"^\|\s*{arrow} `(\w+)`\s*\|", DOC.read_text(encoding="utf-8"), re.M)


def test_docs_list_the_live_protocol():
    assert _doc_types("→") == list(live.LIVE_CLIENT_TYPES)
    assert _doc_types("←") == list(live.LIVE_MESSAGE_TYPES)


def test_the_server_sends_only_documented_types():
    sent = set()
    for module in ("live.py", "live_lifter.py"):
        sent |= set(re.findall(r'\{"type": "(\w+)"', (ROOT / "poseapp" / module).read_text(encoding="utf-8")))
    forwarded = {"live.start", "live.frame", "live.stop", "live.reply"}  # channel-layer events, not page messages
    page = {t for t in sent if "." not in t}
    assert page == set(live.LIVE_MESSAGE_TYPES), page
    assert not {t.replace("_", ".") for t in sent if "." in t} - forwarded


def test_the_page_reads_the_same_tables():
    tables = (ROOT / "frontend" / "src" / "generated" / "tables.js").read_text(encoding="utf-8")
    for name, values in (("LIVE_CLIENT_TYPES", live.LIVE_CLIENT_TYPES), ("LIVE_MESSAGE_TYPES", live.LIVE_MESSAGE_TYPES)):
        listed = re.search(rf"export const {name} = Object\.freeze\(\[(.*?)\]\)", tables).group(1)
        assert re.findall(r'"(\w+)"', listed) == list(values)
