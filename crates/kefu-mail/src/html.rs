//! HTML mail bodies to plain text: tags dropped, scripts/styles/comments skipped, block tags
//! turned into line breaks, common entities decoded. The result is text, never markup.

/// Elements whose content is never visible text.
const HIDDEN: &[&str] = &[
    "script", "style", "head", "title", "template", "noscript", "xml",
];

/// Elements that start or end a line when rendered.
const BLOCK: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "table",
    "ul",
    "ol",
    "hr",
    "pre",
    "section",
    "article",
    "header",
    "footer",
];

/// Converts an HTML document or fragment to plain text.
///
/// Deliberately simple (no DOM): mail HTML is often broken, and the output is only ever
/// shown as text, so a forgiving scanner that cannot produce markup is the safe choice.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        push_text(&mut out, &rest[..lt]);
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        let Some(tag_end) = tag_end(rest) else {
            // An unterminated tag: drop the remainder rather than leak half a tag.
            rest = "";
            break;
        };
        let tag = &rest[1..tag_end];
        rest = &rest[tag_end + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if !closing && HIDDEN.contains(&name.as_str()) && !tag.ends_with('/') {
            rest = skip_element(rest, &name);
        } else if BLOCK.contains(&name.as_str()) {
            out.push('\n');
        } else if name == "td" || name == "th" {
            out.push(' ');
        }
    }
    push_text(&mut out, rest);
    tidy(&out)
}

/// Index of the `>` closing the tag that starts `s` (at `<`), skipping quoted attributes.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices().skip(1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// Skips past `</name ...>`, case-insensitively; everything if it never closes.
fn skip_element<'a>(s: &'a str, name: &str) -> &'a str {
    let needle = format!("</{name}");
    let lower = s.to_ascii_lowercase();
    match lower.find(&needle) {
        // ASCII lowercasing keeps byte offsets, so indices into `lower` are valid in `s`.
        Some(at) => s[at..].find('>').map_or("", |end| &s[at + end + 1..]),
        None => "",
    }
}

/// Appends a text run: whitespace collapsed to one space, entities decoded.
fn push_text(out: &mut String, text: &str) {
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('&')
            && let Some((decoded, used)) = entity(after)
        {
            out.push(decoded);
            rest = &after[used..];
            continue;
        }
        let mut chars = rest.chars();
        let Some(c) = chars.next() else { break };
        rest = chars.as_str();
        if c.is_whitespace() {
            if !out.ends_with([' ', '\n']) && !out.is_empty() {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
}

/// Decodes the entity after a `&`: the character and how many bytes (incl. `;`) it used.
fn entity(s: &str) -> Option<(char, usize)> {
    let semi = s.get(..12).unwrap_or(s).find(';')?;
    let body = &s[..semi];
    let c = match body {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        _ => {
            let num = body.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code).filter(|c| *c != '\0')?
        }
    };
    Some((c, semi + 1))
}

/// Trims each line and keeps at most one blank line in a row.
fn tidy(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank_run = 0;
    for line in s.lines().map(str::trim) {
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_tags_scripts_and_comments() {
        let html = "<html><head><title>T</title><style>p{color:red}</style></head>\
            <body><p>您好，<b>订单</b> 12&amp;3</p><script>alert('x<p>')</script>\
            <!-- hidden --><div>第二行&nbsp;&lt;ok&gt; &#x4E2D;&#25991;</div></body></html>";
        assert_eq!(html_to_text(html), "您好，订单 12&3\n\n第二行 <ok> 中文");
    }

    #[test]
    fn quoted_attributes_and_broken_input() {
        assert_eq!(html_to_text("<a title=\"a>b\">link</a> text"), "link text");
        assert_eq!(html_to_text("before<img src='x"), "before");
        assert_eq!(html_to_text("a &bogus; b &#0; c"), "a &bogus; b &#0; c");
        assert_eq!(html_to_text("line<br>next<BR/>last"), "line\nnext\nlast");
        assert_eq!(html_to_text("<SCRIPT>x</SCRIPT>ok"), "ok");
    }
}
