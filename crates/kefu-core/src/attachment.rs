//! Attachments: which file types a conversation accepts, the size limit, the magic-number check
//! that a file is what it claims to be, file-name clean-up, and who may see an uploaded file.
//! Pure functions over bytes and strings; the server reads the upload and the store keeps it.

use crate::conversation::{MessageKind, SenderKind};

/// The largest upload any inbox may allow: uploads are buffered in memory and stored in the
/// database, so an inbox setting above this is held to it.
pub const MAX_ATTACHMENT_BYTES_CEILING: u64 = 50 * 1024 * 1024;
/// The longest file name kept, in characters.
pub const MAX_FILE_NAME_CHARS: usize = 200;
/// How many files one message may carry.
pub const MAX_ATTACHMENTS_PER_MESSAGE: usize = 10;

/// The accepted types, by their canonical media type.
pub const ALLOWED_TYPES: [&str; 11] = [
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/zip",
];

/// Why an upload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than {max_bytes} bytes")]
    TooLarge { max_bytes: u64 },
    #[error("files of type {declared:?} are not accepted")]
    UnsupportedType { declared: String },
    /// The bytes are not what the declared type says (a renamed executable, say).
    #[error("the file's content is not {declared}")]
    ContentMismatch { declared: &'static str },
}

/// The canonical media type for a declared `Content-Type` (parameters and case ignored, common
/// aliases folded), or `None` when it is not accepted.
pub fn canonical_type(declared: &str) -> Option<&'static str> {
    let essence = declared
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let alias = match essence.as_str() {
        "image/jpg" | "image/pjpeg" => "image/jpeg",
        "application/x-zip-compressed" | "application/x-zip" => "application/zip",
        "application/csv" | "text/comma-separated-values" => "text/csv",
        other => other,
    };
    ALLOWED_TYPES.into_iter().find(|t| *t == alias)
}

/// The effective limit of an inbox: its setting, held to the ceiling.
pub fn effective_limit(inbox_max_bytes: u64) -> u64 {
    inbox_max_bytes.min(MAX_ATTACHMENT_BYTES_CEILING)
}

/// Checks an upload: not empty, within the limit, an accepted type, and bytes that look like
/// that type. Returns the canonical type to store.
pub fn check_upload(
    declared: &str,
    bytes: &[u8],
    max_bytes: u64,
) -> Result<&'static str, AttachmentError> {
    let content_type =
        canonical_type(declared).ok_or_else(|| AttachmentError::UnsupportedType {
            declared: declared.chars().take(100).collect(),
        })?;
    if bytes.is_empty() {
        return Err(AttachmentError::Empty);
    }
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > effective_limit(max_bytes) {
        return Err(AttachmentError::TooLarge {
            max_bytes: effective_limit(max_bytes),
        });
    }
    if content_matches(content_type, bytes) {
        Ok(content_type)
    } else {
        Err(AttachmentError::ContentMismatch {
            declared: content_type,
        })
    }
}

/// Whether the first bytes fit the type. Binary formats have a signature; office documents are
/// zip containers. Text has no signature, but executables and other binaries contain NUL bytes
/// early on, and text never does (in UTF-8 or GBK, as Chinese spreadsheets export CSV).
fn content_matches(content_type: &str, bytes: &[u8]) -> bool {
    const ZIP: [&[u8]; 2] = [b"PK\x03\x04", b"PK\x05\x06"];
    match content_type {
        "image/png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => bytes.starts_with(b"\xff\xd8\xff"),
        "image/gif" => bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a"),
        "image/webp" => bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP",
        "application/pdf" => bytes.starts_with(b"%PDF-"),
        "text/plain" | "text/csv" => !bytes.iter().take(8192).any(|b| *b == 0),
        _ => ZIP.iter().any(|magic| bytes.starts_with(magic)),
    }
}

/// Whether browsers may show this type inline: images only; everything else downloads.
pub fn shown_inline(content_type: &str) -> bool {
    content_type.starts_with("image/")
}

/// A file name safe to store and send back: the last path segment only, without control or
/// bidirectional-override characters (which disguise `exe` as `txt`), without leading dots, at
/// most 200 characters with the extension kept. An empty result becomes `attachment`.
pub fn sanitize_file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .collect();
    let trimmed = cleaned
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end();
    let name = if trimmed.chars().count() <= MAX_FILE_NAME_CHARS {
        trimmed.to_owned()
    } else {
        shorten(trimmed)
    };
    if name.is_empty() {
        "attachment".to_owned()
    } else {
        name
    }
}

/// Cuts a long name to the limit, keeping a short extension so the file still opens.
fn shorten(name: &str) -> String {
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext)
        .filter(|ext| !ext.is_empty() && ext.chars().count() <= 10);
    match extension {
        Some(ext) => {
            let keep = MAX_FILE_NAME_CHARS - ext.chars().count() - 1;
            let stem: String = name.chars().take(keep).collect();
            format!("{}.{ext}", stem.trim_end())
        }
        None => name
            .chars()
            .take(MAX_FILE_NAME_CHARS)
            .collect::<String>()
            .trim_end()
            .to_owned(),
    }
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Whether the customer may download a file of their conversation: what they uploaded, and
/// what was sent to them. An agent's file waiting to be sent, or one on an internal note, is not.
pub fn customer_may_see(uploaded_by: SenderKind, sent_with: Option<MessageKind>) -> bool {
    uploaded_by == SenderKind::Customer || sent_with.is_some_and(|kind| kind.visible_to_customer())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn accepted_types_and_aliases() {
        assert_eq!(canonical_type("IMAGE/PNG"), Some("image/png"));
        assert_eq!(canonical_type("image/jpg"), Some("image/jpeg"));
        assert_eq!(
            canonical_type("text/plain; charset=utf-8"),
            Some("text/plain")
        );
        assert_eq!(
            canonical_type("application/x-zip-compressed"),
            Some("application/zip")
        );
        assert_eq!(canonical_type("application/x-msdownload"), None);
        assert_eq!(
            canonical_type("image/svg+xml"),
            None,
            "SVG can carry script"
        );
        assert_eq!(canonical_type("text/html"), None);
        assert_eq!(canonical_type(""), None);
    }

    #[test]
    fn content_must_match_the_declared_type() {
        assert_eq!(check_upload("image/png", PNG, 1024), Ok("image/png"));
        assert_eq!(
            check_upload("image/jpeg", b"\xff\xd8\xff\xe0JFIF", 1024),
            Ok("image/jpeg")
        );
        assert_eq!(
            check_upload("image/gif", b"GIF89a..", 1024),
            Ok("image/gif")
        );
        assert_eq!(
            check_upload("image/webp", b"RIFF\x10\0\0\0WEBPVP8 ", 1024),
            Ok("image/webp")
        );
        assert_eq!(
            check_upload("application/pdf", b"%PDF-1.7\n", 1024),
            Ok("application/pdf")
        );
        let docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
        assert_eq!(check_upload(docx, b"PK\x03\x04\x14\0", 1024), Ok(docx));
        assert_eq!(
            check_upload("text/csv", "姓名,电话\n王芳,139\n".as_bytes(), 1024),
            Ok("text/csv")
        );
        let exe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0";
        for declared in [
            "image/png",
            "application/pdf",
            "application/zip",
            "text/plain",
        ] {
            assert!(
                matches!(
                    check_upload(declared, exe, 1024),
                    Err(AttachmentError::ContentMismatch { .. })
                ),
                "an executable claiming {declared}"
            );
        }
        assert!(matches!(
            check_upload("image/png", b"just some text", 1024),
            Err(AttachmentError::ContentMismatch { .. })
        ));
    }

    #[test]
    fn size_and_emptiness() {
        assert_eq!(check_upload("image/png", PNG, 16), Ok("image/png"));
        assert_eq!(
            check_upload("image/png", PNG, 15),
            Err(AttachmentError::TooLarge { max_bytes: 15 })
        );
        assert_eq!(
            check_upload("text/plain", b"", 15),
            Err(AttachmentError::Empty)
        );
        assert_eq!(effective_limit(u64::MAX), MAX_ATTACHMENT_BYTES_CEILING);
    }

    #[test]
    fn file_names_lose_paths_and_controls() {
        assert_eq!(sanitize_file_name("C:\\Users\\王芳\\发票.pdf"), "发票.pdf");
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_file_name(".bashrc"), "bashrc");
        assert_eq!(sanitize_file_name("a\u{0}b\nc.txt"), "abc.txt");
        assert_eq!(sanitize_file_name("photo\u{202e}gnp.exe"), "photognp.exe");
        assert_eq!(sanitize_file_name("dir/"), "attachment");
        assert_eq!(sanitize_file_name("  "), "attachment");
        let long = format!("{}.xlsx", "报".repeat(300));
        let short = sanitize_file_name(&long);
        assert_eq!(short.chars().count(), MAX_FILE_NAME_CHARS);
        assert!(short.ends_with(".xlsx"));
    }

    #[test]
    fn customers_see_their_own_files_and_what_was_sent_to_them() {
        assert!(customer_may_see(SenderKind::Customer, None));
        assert!(customer_may_see(SenderKind::Agent, Some(MessageKind::Text)));
        assert!(!customer_may_see(SenderKind::Agent, None));
        assert!(!customer_may_see(
            SenderKind::Agent,
            Some(MessageKind::Note)
        ));
    }

    proptest! {
        #[test]
        fn no_name_keeps_separators_or_controls(raw in any::<String>()) {
            let name = sanitize_file_name(&raw);
            prop_assert!(!name.is_empty());
            prop_assert!(name.chars().count() <= MAX_FILE_NAME_CHARS);
            prop_assert!(!name.contains(['/', '\\']));
            prop_assert!(!name.chars().any(|c| c.is_control() || is_bidi_control(c)));
            prop_assert!(!name.starts_with('.'));
            prop_assert_eq!(sanitize_file_name(&name), name.clone(), "idempotent");
        }
    }
}
