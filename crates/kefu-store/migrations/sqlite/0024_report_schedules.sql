-- Scheduled reports (sqlite). Kept in step with migrations/postgres/0024_report_schedules.sql.
-- A schedule mails a report (metrics or agent scorecards, CSV or XLSX) daily or weekly at a
-- local time in the tenant's zone. Each period it is due becomes one report_deliveries row:
-- unique per (schedule, period), so a restart or a second node never sends a period twice,
-- and the row is retried with backoff until the relay takes the mail (or it is given up).

CREATE TABLE report_schedules (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- daily or weekly.
    frequency TEXT NOT NULL,
    -- ISO weekday 1 (Monday) to 7 (Sunday) for weekly; NULL for daily.
    weekday INTEGER,
    -- Local send time HH:MM in the tenant's zone.
    send_time TEXT NOT NULL,
    -- JSON array of e-mail addresses (1 to 20).
    recipients TEXT NOT NULL,
    -- metrics or scorecards.
    report_kind TEXT NOT NULL,
    -- JSON object of the report's query parameters (dimensions, granularity, group...).
    filters TEXT NOT NULL,
    -- csv or xlsx.
    format TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    created_by BLOB,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (tenant_id, id)
);
CREATE INDEX report_schedules_tenant ON report_schedules (tenant_id, name);

CREATE TABLE report_deliveries (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    schedule_id BLOB NOT NULL,
    -- The local date the period's report is due (YYYY-MM-DD), or manual-<uuid> for send-now.
    period TEXT NOT NULL,
    -- Start and end (exclusive) of the report's window.
    window_start TEXT NOT NULL,
    window_end TEXT NOT NULL,
    due_at TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    -- Also a lease: a worker moves it ahead before an attempt, so two never send one row.
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    failed BOOLEAN NOT NULL,
    sent_at TEXT,
    message_id TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (tenant_id, schedule_id, period),
    FOREIGN KEY (tenant_id, schedule_id) REFERENCES report_schedules (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX report_deliveries_due ON report_deliveries (tenant_id, next_attempt_at);
