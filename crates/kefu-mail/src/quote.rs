//! Reply text without the quoted history: `>` lines, "On … wrote:" / "…写道：" attributions
//! and Outlook/Foxmail/QQ "Original Message" / "发件人:" header blocks are removed.

/// Separator lines after which a client pastes the whole previous message.
const BLOCK_MARKERS: &[&str] = &[
    "original message",
    "原始邮件",
    "原始郵件",
    "forwarded message",
    "转发的邮件",
    "轉寄的郵件",
];

/// Field names that open the header block Outlook-style clients put above a quoted message.
const FROM_FIELDS: &[&str] = &["from:", "发件人:", "发件人：", "寄件者:", "寄件者："];
const OTHER_FIELDS: &[&str] = &[
    "sent:",
    "date:",
    "to:",
    "subject:",
    "发送时间:",
    "发送时间：",
    "日期:",
    "日期：",
    "收件人:",
    "收件人：",
    "主题:",
    "主题：",
    "時間:",
    "主旨:",
];

/// Returns only the new text of a reply.
///
/// Quoted (`>`) lines and attribution lines are dropped wherever they are, so interleaved
/// answers survive; at an Outlook-style "Original Message" or "发件人:" block everything
/// below is dropped, because those clients quote without `>`. If nothing would be left
/// (a mail that is all quote), the whole text is returned trimmed rather than losing it.
pub fn strip_quoted(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut kept: Vec<&str> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        if starts_quoted_block(&lines[i..]) {
            break;
        }
        if line.starts_with('>') || is_attribution(line) {
            i += 1;
            continue;
        }
        // Gmail wraps a long "On …, Name <addr> wrote:" over two lines.
        if line.starts_with("On ")
            && let Some(next) = lines.get(i + 1)
            && next.trim().ends_with("wrote:")
        {
            i += 2;
            continue;
        }
        kept.push(lines[i].trim_end());
        i += 1;
    }
    let result = kept.join("\n").trim().to_string();
    if result.is_empty() {
        text.trim().to_string()
    } else {
        result
    }
}

/// "On Mon, 1 Jan 2024, Li <li@example.com> wrote:", "在 2024年1月1日，李雷 写道：",
/// "李雷 <li@example.com> 于2024年1月1日周一 10:00写道：".
fn is_attribution(line: &str) -> bool {
    let zh = line.ends_with("写道：") || line.ends_with("写道:") || line.ends_with("寫道：");
    let en = line.ends_with("wrote:") && (line.starts_with("On ") || line.contains('@'));
    zh || en
}

/// Whether `lines[0]` begins a pasted previous message (separator or header block).
fn starts_quoted_block(lines: &[&str]) -> bool {
    let Some(first) = lines.first().map(|l| l.trim()) else {
        return false;
    };
    let lower = first.to_lowercase();
    if lower.starts_with("--") && BLOCK_MARKERS.iter().any(|m| lower.contains(m)) {
        return true;
    }
    let is_rule = first.len() >= 10 && first.chars().all(|c| c == '_');
    let header_at = if is_rule {
        lines
            .iter()
            .skip(1)
            .position(|l| !l.trim().is_empty())
            .map(|p| p + 1)
    } else {
        Some(0)
    };
    let Some(at) = header_at else { return false };
    let Some(candidate) = lines.get(at).map(|l| l.trim().to_lowercase()) else {
        return false;
    };
    FROM_FIELDS.iter().any(|f| candidate.starts_with(f))
        && lines
            .iter()
            .skip(at + 1)
            .take(4)
            .any(|l| is_header_field(&l.trim().to_lowercase()))
}

fn is_header_field(line: &str) -> bool {
    OTHER_FIELDS.iter().any(|f| line.starts_with(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmail_style_quote_and_wrapped_attribution() {
        let text = "Thanks, that fixed it.\n\nOn Mon, 1 Jan 2024 at 10:00, Support\n<support@example.com> wrote:\n> Please restart.\n>\n> Regards";
        assert_eq!(strip_quoted(text), "Thanks, that fixed it.");
    }

    #[test]
    fn chinese_attribution_and_interleaved_answers() {
        let text = "李雷 <li@example.com> 于2024年1月1日周一 10:00写道：\n> 订单号是多少？\n订单号 12345\n> 什么时候买的？\n上周五";
        assert_eq!(strip_quoted(text), "订单号 12345\n上周五");
        let text = "好的，谢谢！\n\n在 2024年1月1日 10:00，客服 写道：\n> 已为您退款。";
        assert_eq!(strip_quoted(text), "好的，谢谢！");
    }

    #[test]
    fn outlook_blocks_in_english_and_chinese() {
        let text =
            "See attached.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\nOld text";
        assert_eq!(strip_quoted(text), "See attached.");
        let text = "收到，谢谢。\n\n________________________________\n发件人: 客服 <support@example.com>\n发送时间: 2024年1月1日 10:00\n收件人: 张三\n主题: [#1001] 退货\n\n您好，已处理。";
        assert_eq!(strip_quoted(text), "收到，谢谢。");
        let text = "好的\n------------------ 原始邮件 ------------------\n发件人: \"客服\"";
        assert_eq!(strip_quoted(text), "好的");
    }

    #[test]
    fn plain_from_line_in_text_is_kept_and_all_quote_is_kept() {
        let text = "From: my point of view this is fine.\nBye";
        assert_eq!(strip_quoted(text), text);
        assert_eq!(strip_quoted("> only quote\n"), "> only quote");
    }
}
