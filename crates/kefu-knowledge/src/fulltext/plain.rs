//! Markdown reduced to the words a reader sees, for indexing and snippets: snippets are shown
//! as plain text, and `**退货**` or a link's URL in one would only be noise.

/// Drops block markers (headings, quotes, list bullets, fences), emphasis and code marks, and
/// keeps a link's or image's text without its target. Lines stay lines.
pub fn markdown_to_plain(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            continue;
        }
        let content = strip_block_marker(trimmed);
        inline_plain(content, &mut out);
        out.push('\n');
    }
    let kept = out.trim_end().len();
    out.truncate(kept);
    out
}

fn strip_block_marker(line: &str) -> &str {
    let hashes = line.chars().take_while(|&c| c == '#').count();
    if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
        return line[hashes..].trim_start();
    }
    if let Some(rest) = line.strip_prefix('>') {
        return rest.trim_start();
    }
    for bullet in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(bullet) {
            return rest;
        }
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && (line[digits..].starts_with(". ") || line[digits..].starts_with(") ")) {
        return &line[digits + 2..];
    }
    line
}

fn inline_plain(text: &str, out: &mut String) {
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        match c {
            '*' | '`' => rest = &rest[1..],
            // `_` inside a word (snake_case) is text; around words it is emphasis.
            '_' if out.ends_with(|p: char| p.is_alphanumeric())
                && rest[1..].starts_with(|n: char| n.is_alphanumeric()) =>
            {
                out.push('_');
                rest = &rest[1..];
            }
            '_' => rest = &rest[1..],
            '!' if rest[1..].starts_with('[') => rest = &rest[1..],
            '[' => match link_text(rest) {
                Some((label, after)) => {
                    inline_plain(label, out);
                    rest = after;
                }
                None => {
                    out.push('[');
                    rest = &rest[1..];
                }
            },
            _ => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
}

/// `[label](target)` at the start of `text`: the label and what follows the link.
fn link_text(text: &str) -> Option<(&str, &str)> {
    let close = text.find("](")?;
    let label = text.get(1..close)?;
    if label.contains('[') {
        return None;
    }
    let after_open = close + 2;
    let end = text.get(after_open..)?.find(')')? + after_open;
    Some((label, text.get(end + 1..)?))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn markup_goes_and_words_stay() {
        let md = "## 退货步骤\n\n1. 打开 **我的订单**\n- 点 [申请退货](https://x.example/r)\n> 注意 `7` 天内\n```\ncode\n```\n![图](a.png) snake_case _em_";
        assert_eq!(
            markdown_to_plain(md),
            "退货步骤\n\n打开 我的订单\n点 申请退货\n注意 7 天内\ncode\n图 snake_case em"
        );
    }

    #[test]
    fn broken_links_stay_text() {
        assert_eq!(markdown_to_plain("[not a link"), "[not a link");
        assert_eq!(markdown_to_plain("a [b](c"), "a [b](c");
    }
}
