//! Property tests for the parsers of outside input: arbitrary bytes and strings never make
//! them panic, and reply tokens round-trip for every ticket number.

use kefu_mail::{
    html_to_text, make_reply_token, parse, strip_quoted, subject_ticket, tagged_subject,
    verify_reply_token,
};
use proptest::prelude::*;

const SECRET: &[u8] = b"acme-tenant-secret-for-tests";

proptest! {
    #[test]
    fn parse_never_panics(raw in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse(&raw, 1 << 20);
    }

    #[test]
    fn parse_never_panics_on_header_like_input(
        lines in proptest::collection::vec("[A-Za-z-]{1,12}: [ -~]{0,40}", 0..12),
        body in "[ -~\r\n]{0,200}",
    ) {
        let raw = format!("{}\r\n\r\n{body}", lines.join("\r\n"));
        let _ = parse(raw.as_bytes(), 1 << 20);
    }

    #[test]
    fn text_helpers_never_panic(s in "\\PC{0,300}") {
        let _ = html_to_text(&s);
        let _ = strip_quoted(&s);
        let _ = subject_ticket(&s);
        let _ = verify_reply_token(SECRET, &s);
        let tagged = tagged_subject(&s, 1001);
        prop_assert_eq!(subject_ticket(&tagged), Some(1001));
    }

    #[test]
    fn tokens_round_trip(ticket in any::<u64>()) {
        let token = make_reply_token(SECRET, ticket).unwrap();
        prop_assert_eq!(verify_reply_token(SECRET, &token).unwrap(), ticket);
    }
}
