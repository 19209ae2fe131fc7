-- Agents whose offers become assignments at once, with no accept step.
ALTER TABLE users ADD COLUMN auto_accept BOOLEAN NOT NULL DEFAULT FALSE;
