-- Agents whose offers become assignments at once, with no accept step.
ALTER TABLE users ADD COLUMN auto_accept INTEGER NOT NULL DEFAULT 0;
