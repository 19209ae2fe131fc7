-- The routing runtime: when an open offer lapses, so an agent's page can count it down
-- after a reload and a restarted server can void offers nobody can still accept.
ALTER TABLE conversations ADD COLUMN offer_expires_at TEXT;
