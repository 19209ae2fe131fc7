-- Report rollups: sums of the report's metrics per tenant, level (0: 15-minute UTC slots,
-- 1: days of the maintainer's time zone), slot start (Unix milliseconds) and dimension value,
-- kept from the event log by the server's rollup maintainer. The sums are an opaque encoding
-- of kefu-metrics' `PartialTally`.
CREATE TABLE report_rollups (
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    level SMALLINT NOT NULL,
    slot_ms BIGINT NOT NULL,
    dimension TEXT NOT NULL,
    dimension_key TEXT NOT NULL,
    sums BLOB NOT NULL,
    PRIMARY KEY (tenant_id, level, slot_ms, dimension, dimension_key)
);

-- How far each tenant's rollups have folded the event log, written in the same transaction
-- as the rollups: `seq` is the last folded event, `contacts` the contacts counted in all
-- slots, `report_state` what reports need besides the rows (the agents' running presence and
-- the day level's time zone), `state` the rest of the
-- maintainer's fold (read only when the maintainer restarts).
CREATE TABLE report_rollup_cursors (
    tenant_id BLOB PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    contacts BIGINT NOT NULL,
    report_state BLOB NOT NULL,
    state BLOB NOT NULL,
    updated_at TEXT NOT NULL
);
