//! The ticket list and its search, newest first: SQL built from the filters present, so that every
//! view walks an index in list order and stops at the page's end, even with a million tickets.

use crate::StoreError;
use crate::page::{Page, clamp_limit};
use crate::sql::Conn;
use crate::tickets::{TICKET_COLUMNS, Ticket, TicketFilter, TicketRow};
use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;
use uuid::Uuid;

/// Words of a search, at most; the rest are ignored.
pub const MAX_SEARCH_TERMS: usize = 8;

/// Newest tickets a search with only 1–2 character words looks through per page. Trigrams
/// cannot find such words, so they are matched by scanning; the page then ends after this many
/// tickets, with a cursor to look further back. 3,000 keeps a page within 20 ms at p99 on
/// SQLite at a million tickets (5,000 took 24–31 ms).
pub const SHORT_QUERY_SCAN: i64 = 3_000;

/// Words of at least this many characters are found through the trigram index.
const INDEXED_TERM_CHARS: usize = 3;
/// Matches an SQLite search first reads forwards. Fewer means they are all the matches, and the
/// page is taken from them: FTS5 walks a doclist backwards by loading it whole, which made a
/// rare phrase holding a trigram found in every ticket (an order number's `SO-`) cost 30 ms at a
/// million tickets, where forwards it skips through the doclist's index.
const FORWARD_PROBE: i64 = 200;

/// A value bound to a query built at run time.
enum Arg {
    Uuid(Uuid),
    Text(String),
    Int(i64),
    Time(DateTime<Utc>),
}

/// SQL text with `$n` placeholders and the values they stand for. Only constant fragments are
/// ever appended to the text: every value from outside is bound.
struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    fn new(text: &str) -> Self {
        Sql {
            text: text.to_owned(),
            args: Vec::new(),
        }
    }

    fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// Binds a value and returns its placeholder.
    fn arg(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    /// Appends `text`, each `{}` in it replaced by the next of `args`'s placeholders.
    fn push_args(&mut self, text: &str, args: impl IntoIterator<Item = Arg>) {
        let mut args = args.into_iter();
        let mut parts = text.split("{}");
        if let Some(first) = parts.next() {
            self.push(first);
        }
        for part in parts {
            if let Some(arg) = args.next() {
                let placeholder = self.arg(arg);
                self.push(&placeholder);
            }
            self.push(part);
        }
    }
}

/// Runs a built query. `one_shot` plans it on PostgreSQL with the values at hand (an unnamed
/// statement), as a search must: how common a word is decides between the trigram index and
/// walking the newest tickets, and a cached generic plan cannot know.
async fn fetch<T>(conn: &mut Conn<'_>, sql: Sql, one_shot: bool) -> Result<Vec<T>, StoreError>
where
    T: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>,
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    match conn {
        Conn::Sqlite(c) => {
            let mut query = sqlx::query_as::<_, T>(AssertSqlSafe(sql.text));
            for arg in sql.args {
                query = match arg {
                    Arg::Uuid(v) => query.bind(v),
                    Arg::Text(v) => query.bind(v),
                    Arg::Int(v) => query.bind(v),
                    Arg::Time(v) => query.bind(v),
                };
            }
            Ok(query.fetch_all(&mut **c).await?)
        }
        Conn::Postgres(c) => {
            let mut query = sqlx::query_as::<_, T>(AssertSqlSafe(sql.text)).persistent(!one_shot);
            for arg in sql.args {
                query = match arg {
                    Arg::Uuid(v) => query.bind(v),
                    Arg::Text(v) => query.bind(v),
                    Arg::Int(v) => query.bind(v),
                    Arg::Time(v) => query.bind(v),
                };
            }
            Ok(query.fetch_all(&mut **c).await?)
        }
    }
}

/// The words of a search: split on white space, without repeats.
#[derive(Debug, Default)]
struct Terms {
    /// Found through the index (≥ 3 characters).
    indexed: Vec<String>,
    /// Checked on the candidates' text (1–2 characters).
    short: Vec<String>,
}

impl Terms {
    fn parse(query: Option<&str>) -> Option<Terms> {
        let mut terms = Terms::default();
        let words = query?.split(|c: char| c.is_whitespace() || c.is_control());
        for word in words.filter(|w| !w.is_empty()) {
            if terms.indexed.len() + terms.short.len() >= MAX_SEARCH_TERMS {
                break;
            }
            let word = word.to_owned();
            let list = if word.chars().count() >= INDEXED_TERM_CHARS {
                &mut terms.indexed
            } else {
                &mut terms.short
            };
            if !list.contains(&word) {
                list.push(word);
            }
        }
        (!terms.indexed.is_empty() || !terms.short.is_empty()).then_some(terms)
    }

    /// The FTS5 query: every indexed word as a quoted string, so a user's `AND`, `*`, `"` or
    /// `NEAR(` is text, never query syntax. With the trigram tokenizer a quoted string matches
    /// as a substring.
    fn fts5_query(&self) -> String {
        self.indexed
            .iter()
            .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" AND ")
    }
}

/// The filters besides the text, on `tickets`; the status set only when `statuses` says so
/// (the plain list runs one query per status instead).
fn push_filters(sql: &mut Sql, tenant: &str, filter: &TicketFilter, statuses: bool) {
    if statuses && !filter.statuses.is_empty() {
        let list: Vec<String> = filter
            .statuses
            .iter()
            .map(|s| sql.arg(Arg::Text(s.as_str().to_owned())))
            .collect();
        sql.push(&format!(" AND tickets.status IN ({})", list.join(", ")));
    }
    for (column, value) in [
        ("assignee_id", filter.assignee_id),
        ("group_id", filter.group_id),
        ("requester_id", filter.requester_id),
    ] {
        if let Some(value) = value {
            sql.push_args(&format!(" AND tickets.{column} = {{}}"), [Arg::Uuid(value)]);
        }
    }
    for (column, names) in [
        (
            "priority",
            filter
                .priorities
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>(),
        ),
        (
            "ticket_type",
            filter.types.iter().map(|t| t.as_str()).collect(),
        ),
    ] {
        if !names.is_empty() {
            let list: Vec<String> = names
                .iter()
                .map(|name| sql.arg(Arg::Text((*name).to_owned())))
                .collect();
            sql.push(&format!(" AND tickets.{column} IN ({})", list.join(", ")));
        }
    }
    if filter.unassigned {
        sql.push(" AND tickets.assignee_id IS NULL");
    }
    if let Some(member) = filter.groups_of_member {
        sql.push(&format!(
            " AND tickets.group_id IN (SELECT m.group_id FROM group_members m WHERE m.tenant_id = {tenant}"
        ));
        sql.push_args(" AND m.user_id = {})", [Arg::Uuid(member)]);
    }
    if let Some(pattern) = crate::tickets::tag_pattern(filter.tag.as_deref()) {
        // The tags' JSON text is the same on both backends (an array of quoted strings).
        sql.push_args(
            " AND CAST(tickets.tags AS TEXT) LIKE {} ESCAPE '\\'",
            [Arg::Text(pattern)],
        );
    }
    if let Some(by) = filter.breaching_by {
        sql.push(&format!(
            " AND EXISTS (SELECT 1 FROM ticket_slas s WHERE s.tenant_id = {tenant} AND s.ticket_id = tickets.id
               AND s.completed_at IS NULL"
        ));
        sql.push_args(
            " AND ((s.state = 'active' AND s.due_at <= {}) OR s.state = 'breached'))",
            [Arg::Time(by)],
        );
    }
    for (key, value) in &filter.custom_fields {
        sql.push(&format!(
            " AND EXISTS (SELECT 1 FROM ticket_field_values v WHERE v.tenant_id = {tenant} AND v.ticket_id = tickets.id"
        ));
        sql.push_args(
            " AND v.field_key = {} AND v.value = {})",
            [Arg::Text(key.clone()), Arg::Text(value.clone())],
        );
    }
}

fn into_tickets(rows: Vec<TicketRow>) -> Result<Vec<Ticket>, StoreError> {
    rows.into_iter().map(Ticket::try_from).collect()
}

/// Tickets newest first; with a query, those whose subject, description or any comment
/// (internal notes too) contains every word of it.
pub(crate) async fn list(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    filter: &TicketFilter,
    before: Option<Uuid>,
    limit: u32,
) -> Result<Page<Ticket>, StoreError> {
    match Terms::parse(filter.query.as_deref()) {
        None => plain(conn, tenant_id, filter, before, limit).await,
        Some(terms) if terms.indexed.is_empty() => {
            scan_search(conn, tenant_id, filter, &terms, before, limit).await
        }
        Some(terms) => indexed_search(conn, tenant_id, filter, &terms, before, limit).await,
    }
}

/// Without text: one query per status asked for, each served in order by an index that starts
/// with the status (an `IN` list would make the database sort every ticket in those states),
/// merged here.
async fn plain(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    filter: &TicketFilter,
    before: Option<Uuid>,
    limit: u32,
) -> Result<Page<Ticket>, StoreError> {
    if let Some(by) = filter.breaching_by {
        return breaching(conn, tenant_id, filter, by, before, limit).await;
    }
    let statuses: Vec<Option<&str>> = if filter.statuses.is_empty() {
        vec![None]
    } else {
        filter.statuses.iter().map(|s| Some(s.as_str())).collect()
    };
    let mut tickets = Vec::new();
    for status in statuses {
        let mut sql = Sql::new(&format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE "));
        let tenant = sql.arg(Arg::Uuid(tenant_id));
        sql.push(&format!("tickets.tenant_id = {tenant}"));
        if let Some(status) = status {
            sql.push_args(" AND tickets.status = {}", [Arg::Text(status.to_owned())]);
        }
        if let Some(before) = before {
            sql.push_args(" AND tickets.id < {}", [Arg::Uuid(before)]);
        }
        push_filters(&mut sql, &tenant, filter, false);
        sql.push_args(
            " ORDER BY tickets.id DESC LIMIT {}",
            [Arg::Int(clamp_limit(limit))],
        );
        let rows: Vec<TicketRow> = fetch(conn, sql, false).await?;
        tickets.extend(into_tickets(rows)?);
    }
    tickets.sort_by_key(|t: &Ticket| std::cmp::Reverse(t.id));
    tickets.dedup_by_key(|t| t.id);
    Ok(Page::from_rows(tickets, limit, |t| t.id))
}

/// "Breaching soon" without text: the running targets due by `by` or breached come from their
/// partial index (a few per cent of the open tickets), and only their tickets are read and
/// sorted. Walking the tickets in list order instead probes the targets of every open ticket
/// until a page of matches turns up.
async fn breaching(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    filter: &TicketFilter,
    by: DateTime<Utc>,
    before: Option<Uuid>,
    limit: u32,
) -> Result<Page<Ticket>, StoreError> {
    let mut sql = Sql::new(&format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE "));
    let tenant = sql.arg(Arg::Uuid(tenant_id));
    // Two branches, one index: a breached target's due time is cleared, so it cannot be
    // found by `due_at`.
    sql.push(&format!(
        "tickets.tenant_id = {tenant} AND tickets.id IN (
           SELECT s.ticket_id FROM ticket_slas s WHERE s.tenant_id = {tenant}
             AND s.state = 'breached' AND s.completed_at IS NULL
           UNION
           SELECT s.ticket_id FROM ticket_slas s WHERE s.tenant_id = {tenant}
             AND s.state = 'active' AND s.completed_at IS NULL"
    ));
    sql.push_args(" AND s.due_at <= {})", [Arg::Time(by)]);
    if let Some(before) = before {
        sql.push_args(" AND tickets.id < {}", [Arg::Uuid(before)]);
    }
    let rest = TicketFilter {
        breaching_by: None,
        ..filter.clone()
    };
    push_filters(&mut sql, &tenant, &rest, true);
    sql.push_args(
        " ORDER BY tickets.id DESC LIMIT {}",
        [Arg::Int(clamp_limit(limit))],
    );
    let rows: Vec<TicketRow> = fetch(conn, sql, false).await?;
    Ok(Page::from_rows(into_tickets(rows)?, limit, |t| t.id))
}

/// Appends the checks of 1–2 character words on the search text `body` (ASCII case folded, as
/// `lower()` does on SQLite; the PostgreSQL text is stored in lower case).
fn push_short_terms(sql: &mut Sql, conn: &Conn<'_>, body: &str, terms: &Terms) {
    for term in &terms.short {
        match conn {
            Conn::Sqlite(_) => sql.push_args(
                &format!(" AND instr(lower({body}), lower({{}})) > 0"),
                [Arg::Text(term.clone())],
            ),
            Conn::Postgres(_) => sql.push_args(
                &format!(" AND strpos({body}, {{}}) > 0"),
                [Arg::Text(term.to_lowercase())],
            ),
        }
    }
}

/// Words of three or more characters, through the index. On SQLite, FTS5 walks its rowids
/// (creation order) backwards and stops once the page is full; on PostgreSQL the planner picks
/// the trigram index for rare words and the newest-first walk for common ones.
async fn indexed_search(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    filter: &TicketFilter,
    terms: &Terms,
    before: Option<Uuid>,
    limit: u32,
) -> Result<Page<Ticket>, StoreError> {
    let mut sql;
    match conn {
        Conn::Sqlite(_) => {
            let query = terms.fts5_query();
            let probed: Vec<(i64,)> = sql_all!(
                (i64,),
                &mut *conn,
                "SELECT rowid FROM ticket_search WHERE ticket_search MATCH $1 LIMIT $2",
                &query,
                FORWARD_PROBE
            )?;
            if probed.len() < FORWARD_PROBE as usize {
                let keys: Vec<i64> = probed.into_iter().map(|(key,)| key).collect();
                return from_keys(conn, tenant_id, filter, terms, &keys, before, limit).await;
            }
            sql = Sql::new(&format!(
                // CROSS JOIN keeps FTS5 the outer loop (SQLite never reorders it): walked
                // newest first it stops at the page's end, where probing FTS5 once per key of
                // the tenant, newest first, reads a common word's doclists over and over.
                "SELECT {TICKET_COLUMNS} FROM ticket_search
                 CROSS JOIN ticket_search_keys k ON k.key = ticket_search.rowid
                 CROSS JOIN tickets ON tickets.tenant_id = k.tenant_id AND tickets.id = k.ticket_id WHERE "
            ));
            let tenant = sql.arg(Arg::Uuid(tenant_id));
            sql.push_args(
                &format!("ticket_search MATCH {{}} AND k.tenant_id = {tenant}"),
                [Arg::Text(query)],
            );
            if let Some(before) = before {
                sql.push_args(
                    &format!(
                        " AND ticket_search.rowid < (SELECT key FROM ticket_search_keys
                           WHERE tenant_id = {tenant} AND ticket_id = {{}})"
                    ),
                    [Arg::Uuid(before)],
                );
            }
            push_short_terms(&mut sql, conn, "ticket_search.body", terms);
            push_filters(&mut sql, &tenant, filter, true);
            sql.push_args(
                " ORDER BY ticket_search.rowid DESC LIMIT {}",
                [Arg::Int(clamp_limit(limit))],
            );
        }
        Conn::Postgres(_) => {
            sql = Sql::new(&format!(
                "SELECT {TICKET_COLUMNS} FROM ticket_search s
                 JOIN tickets ON tickets.tenant_id = s.tenant_id AND tickets.id = s.ticket_id WHERE "
            ));
            let tenant = sql.arg(Arg::Uuid(tenant_id));
            sql.push(&format!("s.tenant_id = {tenant}"));
            for term in &terms.indexed {
                let pattern = format!("%{}%", crate::customers::like_escape(&term.to_lowercase()));
                sql.push_args(" AND s.body LIKE {}", [Arg::Text(pattern)]);
            }
            if let Some(before) = before {
                sql.push_args(" AND s.ticket_id < {}", [Arg::Uuid(before)]);
            }
            push_short_terms(&mut sql, conn, "s.body", terms);
            push_filters(&mut sql, &tenant, filter, true);
            sql.push_args(
                " ORDER BY s.ticket_id DESC LIMIT {}",
                [Arg::Int(clamp_limit(limit))],
            );
        }
    }
    let rows: Vec<TicketRow> = fetch(conn, sql, true).await?;
    Ok(Page::from_rows(into_tickets(rows)?, limit, |t| t.id))
}

/// An SQLite search whose matches the forward probe found whole: the tenant's tickets among
/// those search keys, newest (highest key) first.
async fn from_keys(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    filter: &TicketFilter,
    terms: &Terms,
    keys: &[i64],
    before: Option<Uuid>,
    limit: u32,
) -> Result<Page<Ticket>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {TICKET_COLUMNS} FROM ticket_search_keys k
         CROSS JOIN ticket_search ON ticket_search.rowid = k.key
         CROSS JOIN tickets ON tickets.tenant_id = k.tenant_id AND tickets.id = k.ticket_id WHERE "
    ));
    let tenant = sql.arg(Arg::Uuid(tenant_id));
    let keys = format!(
        "[{}]",
        keys.iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    );
    sql.push_args(
        &format!("k.key IN (SELECT value FROM json_each({{}})) AND k.tenant_id = {tenant}"),
        [Arg::Text(keys)],
    );
    if let Some(before) = before {
        sql.push_args(
            &format!(
                " AND k.key < (SELECT key FROM ticket_search_keys
                   WHERE tenant_id = {tenant} AND ticket_id = {{}})"
            ),
            [Arg::Uuid(before)],
        );
    }
    push_short_terms(&mut sql, conn, "ticket_search.body", terms);
    push_filters(&mut sql, &tenant, filter, true);
    sql.push_args(
        " ORDER BY k.key DESC LIMIT {}",
        [Arg::Int(clamp_limit(limit))],
    );
    let rows: Vec<TicketRow> = fetch(conn, sql, true).await?;
    Ok(Page::from_rows(into_tickets(rows)?, limit, |t| t.id))
}

/// Only 1–2 character words (退款, "ok"): no trigram holds them, so the newest
/// [`SHORT_QUERY_SCAN`] tickets before the cursor are read and checked. When that window ends
/// before the page is full, the page comes back short with a cursor at the window's end, so a
/// client that keeps following `next_cursor` still sees every match, a window at a time.
async fn scan_search(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    filter: &TicketFilter,
    terms: &Terms,
    before: Option<Uuid>,
    limit: u32,
) -> Result<Page<Ticket>, StoreError> {
    let mut sql;
    let mut last = Sql::new("");
    match conn {
        Conn::Sqlite(_) => {
            sql = Sql::new(&format!(
                "SELECT {TICKET_COLUMNS} FROM (SELECT key, tenant_id, ticket_id FROM ticket_search_keys WHERE "
            ));
            let tenant = sql.arg(Arg::Uuid(tenant_id));
            let mut window = format!("tenant_id = {tenant}");
            if let Some(before) = before {
                let cursor = sql.arg(Arg::Uuid(before));
                window.push_str(&format!(
                    " AND key < (SELECT key FROM ticket_search_keys WHERE tenant_id = {tenant} AND ticket_id = {cursor})"
                ));
            }
            sql.push(&window);
            sql.push_args(
                " ORDER BY key DESC LIMIT {}) k
                 JOIN ticket_search ON ticket_search.rowid = k.key
                 JOIN tickets ON tickets.tenant_id = k.tenant_id AND tickets.id = k.ticket_id WHERE 1 = 1",
                [Arg::Int(SHORT_QUERY_SCAN)],
            );
            push_short_terms(&mut sql, conn, "ticket_search.body", terms);
            push_filters(&mut sql, &tenant, filter, true);
            sql.push_args(
                " ORDER BY k.key DESC LIMIT {}",
                [Arg::Int(clamp_limit(limit))],
            );
            // The window's last ticket, if the window is full.
            let tenant = last.arg(Arg::Uuid(tenant_id));
            let mut window = format!("tenant_id = {tenant}");
            if let Some(before) = before {
                let cursor = last.arg(Arg::Uuid(before));
                window.push_str(&format!(
                    " AND key < (SELECT key FROM ticket_search_keys WHERE tenant_id = {tenant} AND ticket_id = {cursor})"
                ));
            }
            last.push(&format!(
                "SELECT ticket_id FROM ticket_search_keys WHERE {window} ORDER BY key DESC"
            ));
        }
        Conn::Postgres(_) => {
            sql = Sql::new(&format!(
                "SELECT {TICKET_COLUMNS} FROM (SELECT ticket_id, body FROM ticket_search WHERE "
            ));
            let tenant = sql.arg(Arg::Uuid(tenant_id));
            sql.push(&format!("tenant_id = {tenant}"));
            if let Some(before) = before {
                sql.push_args(" AND ticket_id < {}", [Arg::Uuid(before)]);
            }
            sql.push_args(
                &format!(
                    " ORDER BY ticket_id DESC LIMIT {{}}) s
                     JOIN tickets ON tickets.tenant_id = {tenant} AND tickets.id = s.ticket_id WHERE 1 = 1"
                ),
                [Arg::Int(SHORT_QUERY_SCAN)],
            );
            push_short_terms(&mut sql, conn, "s.body", terms);
            push_filters(&mut sql, &tenant, filter, true);
            sql.push_args(
                " ORDER BY s.ticket_id DESC LIMIT {}",
                [Arg::Int(clamp_limit(limit))],
            );
            let tenant = last.arg(Arg::Uuid(tenant_id));
            last.push(&format!(
                "SELECT ticket_id FROM ticket_search WHERE tenant_id = {tenant}"
            ));
            if let Some(before) = before {
                last.push_args(" AND ticket_id < {}", [Arg::Uuid(before)]);
            }
            last.push(" ORDER BY ticket_id DESC");
        }
    }
    let rows: Vec<TicketRow> = fetch(conn, sql, true).await?;
    let mut page = Page::from_rows(into_tickets(rows)?, limit, |t| t.id);
    if page.next_after.is_none() && page.items.len() < limit as usize {
        last.push_args(" LIMIT 1 OFFSET {}", [Arg::Int(SHORT_QUERY_SCAN - 1)]);
        let end: Vec<(Uuid,)> = fetch(conn, last, false).await?;
        page.next_after = end.first().map(|(id,)| *id);
    }
    Ok(page)
}
