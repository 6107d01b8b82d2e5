-- The retention round (server's prune.go) deletes in batches; each batch
-- finds its rows through one of these indexes rather than reading the
-- whole table. Partial, so they hold only the rows a round may take.
-- Mail done with (sent or given up) goes 30 days after.
CREATE INDEX mail_queue_sent ON mail_queue (sent_at) WHERE sent_at IS NOT NULL;
--bun:split
CREATE INDEX mail_queue_failed ON mail_queue (failed_at) WHERE failed_at IS NOT NULL;
--bun:split
-- Read notifications go a year after they were made.
CREATE INDEX notifications_read ON notifications (created_at) WHERE read_at IS NOT NULL;
--bun:split
-- Codes still printable lose their card 14 days after their batch.
CREATE INDEX participation_codes_card ON participation_codes (batch_id) WHERE card IS NOT NULL;
