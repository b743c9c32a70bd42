"""The user-facing docs as pages of the app (/docs/api/, /docs/websocket/, /docs/result-format/,
/docs/animation/): web users cannot open files in the repository.

A small Markdown renderer for what the docs use (headings, paragraphs, lists, tables, fenced code,
inline `code` and **bold**); everything is HTML-escaped first. The examples' http://127.0.0.1:8000 becomes
the address the page was served from, and a mention of another served doc (`docs/websocket.md`)
links to its page.
"""
from __future__ import annotations

import html
import re
from functools import lru_cache
from pathlib import Path

from django.conf import settings

DOCS_DIR = Path(settings.BASE_DIR) / "docs"
PAGES = {"api": "JSON API", "websocket": "Live stream (websocket)", "result-format": "result.json",
         "animation": "BVH and GLB animation", "deploy": "Running your own site"}  # docs/<name>.md: title
EXAMPLE_BASE = "http://127.0.0.1:8000"


def _inline(text: str) -> str:
    parts = re.split(r"(`[^`]+`)", text)
    out = []
    for p in parts:
        if p.startswith("`") and p.endswith("`") and len(p) > 1:
            code = f"<code>{html.escape(p[1:-1])}</code>"
            m = re.fullmatch(r"docs/([\w-]+)\.md", p[1:-1])
            out.append(f'<a href="/docs/{m.group(1)}/">{code}</a>' if m and m.group(1) in PAGES else code)
        else:
            out.append(re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html.escape(p)))
    return "".join(out)


def _cells(row: str) -> list[str]:
    row = row.strip().strip("|")
    cells, cur, in_code = [], "", False
    for ch in row:  # a '|' inside `code` is not a cell border
        if ch == "`":
            in_code = not in_code
        if ch == "|" and not in_code:
            cells.append(cur.strip())
            cur = ""
        else:
            cur += ch
    return cells + [cur.strip()]


def render_markdown(text: str) -> str:
    lines, out, i = text.splitlines(), [], 0
    para: list[str] = []

    def flush():
        if para:
            out.append(f"<p>{_inline(' '.join(para))}</p>")
            para.clear()

    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            flush()
            lang = line[3:].strip()
            body = []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            cls = f' class="language-{html.escape(lang)}"' if lang else ""
            out.append(f"<pre><code{cls}>{html.escape(chr(10).join(body))}</code></pre>")
        elif m := re.match(r"(#{1,6})\s+(.*)", line):
            flush()
            level = max(len(m.group(1)), 2)  # the page has its own <h1> (the file's title is left out)
            out.append(f"<h{level}>{_inline(m.group(2))}</h{level}>")
        elif line.startswith("|") and i + 1 < len(lines) and re.match(r"^\|[\s:|-]+\|$", lines[i + 1].strip()):
            flush()
            head = "".join(f"<th>{_inline(c)}</th>" for c in _cells(line))
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in _cells(lines[i])) + "</tr>")
                i += 1
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
            continue
        elif line.startswith(("- ", "* ")):
            flush()
            items = []
            while i < len(lines) and (lines[i].startswith(("- ", "* ")) or (lines[i].startswith("  ") and items)):
                if lines[i].startswith(("- ", "* ")):
                    items.append(lines[i][2:].strip())
                else:  # a continuation line of the item
                    items[-1] += " " + lines[i].strip()
                i += 1
            out.append("<ul>" + "".join(f"<li>{_inline(t)}</li>" for t in items) + "</ul>")
            continue
        elif not line.strip():
            flush()
        else:
            para.append(line.strip())
        i += 1
    flush()
    return "\n".join(out)


@lru_cache(maxsize=16)
def _page_html(name: str, mtime_ns: int) -> str:
    text = (DOCS_DIR / f"{name}.md").read_text(encoding="utf-8")
    if text.startswith("# "):  # the file's title: the page shows PAGES[name] as its <h1> already
        text = text.split("\n", 1)[1] if "\n" in text else ""
    return render_markdown(text)


def page_html(name: str, base_url: str) -> str:
    """docs/<name>.md as HTML (name: a key of PAGES), its example address replaced by `base_url`."""
    assert name in PAGES, name
    path = DOCS_DIR / f"{name}.md"
    return _page_html(name, path.stat().st_mtime_ns).replace(EXAMPLE_BASE, html.escape(base_url))
