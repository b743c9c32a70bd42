"""The user-facing docs as pages of the app (/docs/api/, /docs/live/, /docs/websocket/, /docs/result-format/,
/docs/animation/, /docs/deploy/): web users cannot open files in the repository.

A small Markdown renderer for what the docs use (headings, paragraphs, lists with one nested level,
tables, fenced code, inline `code`, **bold** and *em*); everything is HTML-escaped first. The examples' http://127.0.0.1:8000 becomes
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
PAGES = {"api": "JSON API", "live": "Live mode (webcam)", "websocket": "Live stream (websocket)",
         "result-format": "result.json",
         "animation": "BVH and GLB animation",
         "deploy": "Running your own site"}  # docs/<name>.md: title (deploy: the defaults, not this site's settings)
EXAMPLE_BASE = "http://127.0.0.1:8000"


def _inline(text: str) -> str:
    """`code` (a served doc's name links to its page), **strong** and *em*, which may wrap code."""
    codes: list[str] = []

    def keep(m: re.Match) -> str:
        code = f"<code>{html.escape(m.group(1))}</code>"
        doc = re.fullmatch(r"docs/([\w-]+)\.md", m.group(1))
        codes.append(f'<a href="/docs/{doc.group(1)}/">{code}</a>' if doc and doc.group(1) in PAGES else code)
        return f"\x00{len(codes) - 1}\x00"

    out = html.escape(re.sub(r"`([^`]+)`", keep, text))  # code is set aside first: no markup inside it
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    out = re.sub(r"(?<![\w*])\*(?![\s*])(.+?)(?<![\s*])\*(?![\w*])", r"<em>\1</em>", out)
    return re.sub(r"\x00(\d+)\x00", lambda m: codes[int(m.group(1))], out)


def _li(text: list[str], nested: list[list[str]] = ()) -> str:
    """One list item from its source lines, with the items of a list nested in it."""
    sub = "<ul>" + "".join(_li(t) for t in nested) + "</ul>" if nested else ""
    return f"<li>{_inline(' '.join(t.strip() for t in text))}{sub}</li>"


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
            items: list[tuple[list[str], list[list[str]]]] = []  # (text lines, nested items' text lines)
            while i < len(lines) and (lines[i].startswith(("- ", "* ")) or (lines[i].startswith("  ") and items)):
                if lines[i].startswith(("- ", "* ")):
                    items.append(([lines[i][2:]], []))
                elif re.match(r" {2,3}[-*] ", lines[i]):  # an item of a list inside the item
                    items[-1][1].append([lines[i].strip()[2:]])
                else:  # a continuation line of the item (or of its last nested item)
                    (items[-1][1][-1] if items[-1][1] else items[-1][0]).append(lines[i])
                i += 1
            out.append("<ul>" + "".join(_li(t, n) for t, n in items) + "</ul>")
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
