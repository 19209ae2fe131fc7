-- IMAP polling and agents' files (PostgreSQL). Kept in step with migrations/sqlite/0017_mail_imap.sql.
-- A mailbox hosted elsewhere carries its IMAP settings (the password is write-only: the API
-- never returns it), the position reached (UIDVALIDITY and the last UID taken in, moved in the
-- same transaction that stores each mail) and the last poll's outcome for the admins.
-- ticket_attachments rows with neither mail_id nor comment_id are agents' uploads waiting for
-- the comment that carries them.

ALTER TABLE mailboxes ADD COLUMN imap_host TEXT;
ALTER TABLE mailboxes ADD COLUMN imap_port BIGINT;
ALTER TABLE mailboxes ADD COLUMN imap_security TEXT;
ALTER TABLE mailboxes ADD COLUMN imap_username TEXT;
ALTER TABLE mailboxes ADD COLUMN imap_password TEXT;
ALTER TABLE mailboxes ADD COLUMN imap_folder TEXT;
ALTER TABLE mailboxes ADD COLUMN imap_poll_seconds BIGINT;
ALTER TABLE mailboxes ADD COLUMN imap_uid_validity BIGINT;
ALTER TABLE mailboxes ADD COLUMN imap_last_uid BIGINT NOT NULL DEFAULT 0;
ALTER TABLE mailboxes ADD COLUMN imap_polled_at TIMESTAMPTZ;
ALTER TABLE mailboxes ADD COLUMN imap_error TEXT;
ALTER TABLE mailboxes ADD COLUMN imap_error_at TIMESTAMPTZ;
ALTER TABLE ticket_attachments ADD COLUMN uploader_id UUID;
