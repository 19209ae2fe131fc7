// Safe display of knowledge-base text: a small Markdown subset (headings, paragraphs, lists,
// emphasis, code, http(s) links) turned into Preact nodes, and search snippets with their
// matched ranges wrapped in <mark>. Everything else stays literal text: nothing here ever
// hands a string to the browser as HTML, so author or customer text cannot inject markup.
import { h } from "./lib.js";

const SAFE_LINK = /^https?:\/\/[^\s]+$/i;

/** Inline Markdown → an array of strings and nodes. */
export function inline(text) {
  const out = [];
  let plain = "";
  const flush = () => {
    if (plain) out.push(plain);
    plain = "";
  };
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    let m;
    if ((m = /^`([^`]+)`/.exec(rest))) {
      flush();
      out.push(h("code", null, m[1]));
    } else if ((m = /^\*\*([^*]+)\*\*/.exec(rest)) || (m = /^__([^_]+)__/.exec(rest))) {
      flush();
      out.push(h("strong", null, inline(m[1])));
    } else if ((m = /^\*([^*\s][^*]*)\*/.exec(rest)) || (m = /^_([^_\s][^_]*)_(?![\p{L}\p{N}])/u.exec(rest))) {
      flush();
      out.push(h("em", null, inline(m[1])));
    } else if ((m = /^\[([^\]]+)\]\(([^)\s]+)\)/.exec(rest))) {
      flush();
      // Only web links become links; javascript:, data: and the like stay text.
      if (SAFE_LINK.test(m[2])) {
        out.push(h("a", { href: m[2], rel: "noopener noreferrer nofollow", target: "_blank" }, inline(m[1])));
      } else {
        out.push(m[0]);
      }
    } else {
      plain += text[i];
      i += 1;
      continue;
    }
    i += m[0].length;
  }
  flush();
  return out;
}

/** Block Markdown → an array of nodes. */
export function markdown(source) {
  const lines = String(source || "").replace(/\r\n?/g, "\n").split("\n");
  const blocks = [];
  let paragraph = [];
  let list = null;
  const endParagraph = () => {
    if (paragraph.length) blocks.push(h("p", null, inline(paragraph.join(" "))));
    paragraph = [];
  };
  const endList = () => {
    if (list) blocks.push(h(list.ordered ? "ol" : "ul", null, list.items.map((item) => h("li", null, inline(item)))));
    list = null;
  };
  for (let n = 0; n < lines.length; n += 1) {
    const line = lines[n];
    let m;
    if (/^\s*(```|~~~)/.test(line)) {
      endParagraph();
      endList();
      const fence = line.trim().slice(0, 3);
      const code = [];
      n += 1;
      while (n < lines.length && !lines[n].trim().startsWith(fence)) {
        code.push(lines[n]);
        n += 1;
      }
      blocks.push(h("pre", null, h("code", null, code.join("\n"))));
    } else if ((m = /^(#{1,6})\s+(.*)$/.exec(line))) {
      endParagraph();
      endList();
      // Article headings sit below the page's own title: # is h2, ###### stays h6.
      const level = Math.min(m[1].length + 1, 6);
      blocks.push(h(`h${level}`, null, inline(m[2].replace(/\s+#+\s*$/, ""))));
    } else if ((m = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(line))) {
      endParagraph();
      const ordered = /\d/.test(m[1]);
      if (list && list.ordered !== ordered) endList();
      if (!list) list = { ordered, items: [] };
      list.items.push(m[2]);
    } else if (!line.trim()) {
      endParagraph();
      endList();
    } else if (list && /^\s{2,}\S/.test(line)) {
      list.items[list.items.length - 1] += ` ${line.trim()}`;
    } else {
      endList();
      paragraph.push(line.trim().replace(/^>\s?/, ""));
    }
  }
  endParagraph();
  endList();
  return blocks;
}

/**
 * Text with `ranges` ([start, end) in Unicode code points, as the search API gives them)
 * wrapped in <mark>; the text itself stays text.
 */
export function highlight(text, ranges) {
  const chars = Array.from(text || "");
  const out = [];
  let at = 0;
  for (const [start, end] of ranges || []) {
    if (start < at || end <= start || end > chars.length) continue;
    if (start > at) out.push(chars.slice(at, start).join(""));
    out.push(h("mark", null, chars.slice(start, end).join("")));
    at = end;
  }
  if (at < chars.length) out.push(chars.slice(at).join(""));
  return out;
}
