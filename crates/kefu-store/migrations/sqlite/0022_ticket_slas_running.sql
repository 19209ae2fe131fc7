-- Running SLA targets (sqlite; kept in step with the other backend's 0022): what "breaching soon"
-- reads. Completed targets, breached ones among them, pile up with history and are left out.
CREATE INDEX ticket_slas_running_due ON ticket_slas (tenant_id, state, due_at) WHERE completed_at IS NULL;
