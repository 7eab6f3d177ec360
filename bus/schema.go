package bus

import "sagalab/storage"

// Migrations create the outbox and inbox tables. Every module that sends or
// receives messages starts its own migration list with them, so the tables
// live in the module's own file and change in the module's own transactions.
var Migrations = []storage.Migration{
	{Name: "outbox", SQL: `
CREATE TABLE outbox (
	seq            INTEGER PRIMARY KEY AUTOINCREMENT,
	message_id     TEXT    NOT NULL UNIQUE,
	topic          TEXT    NOT NULL,
	-- position: the message's place among this module's messages on topic,
	-- 1, 2, 3... with no gaps, so a consumer of the topic can tell how far
	-- it has read.
	position       INTEGER NOT NULL,
	type           TEXT    NOT NULL,
	correlation_id TEXT    NOT NULL,
	causation_id   TEXT    NOT NULL,
	reply_to       TEXT    NOT NULL,
	payload        BLOB    NOT NULL,
	created_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX outbox_topic_position ON outbox (topic, position);
CREATE INDEX outbox_correlation ON outbox (correlation_id);
-- delivered_seq: every row up to it was handled by all its consumers.
CREATE TABLE outbox_relay (
	id            INTEGER PRIMARY KEY CHECK (id = 1),
	delivered_seq INTEGER NOT NULL
);
INSERT INTO outbox_relay (id, delivered_seq) VALUES (1, 0);`},
	{Name: "inbox", SQL: `
CREATE TABLE inbox (
	consumer       TEXT    NOT NULL,
	message_id     TEXT    NOT NULL,
	source         TEXT    NOT NULL,
	type           TEXT    NOT NULL,
	correlation_id TEXT    NOT NULL,
	causation_id   TEXT    NOT NULL,
	received_at    INTEGER NOT NULL,
	PRIMARY KEY (consumer, message_id)
) WITHOUT ROWID;
CREATE INDEX inbox_correlation ON inbox (correlation_id);`},
}

// TraceMigrations record what each local transaction changed, for traces
// and the walkthrough: on the inbox row of the message that caused it, or on
// the outbox row of a message an initiating transaction (a request, a
// timeout) wrote. Modules append them after their own migrations.
var TraceMigrations = []storage.Migration{{Name: "effects", SQL: `
ALTER TABLE inbox ADD COLUMN effect TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN effect TEXT NOT NULL DEFAULT '';`}}

// DeadLetterMigrations create the dead-letter table: the messages a
// consumer could not handle after every retry, parked in the consumer's own
// database with enough to hand them to it again (see Bus.RetryDeadLetter).
// Modules append them after their other migrations.
var DeadLetterMigrations = []storage.Migration{{Name: "dead letters", SQL: `
CREATE TABLE dead_letters (
	consumer       TEXT    NOT NULL,
	message_id     TEXT    NOT NULL,
	source         TEXT    NOT NULL,
	topic          TEXT    NOT NULL,
	type           TEXT    NOT NULL,
	correlation_id TEXT    NOT NULL,
	causation_id   TEXT    NOT NULL,
	reply_to       TEXT    NOT NULL,
	seq            INTEGER NOT NULL,
	position       INTEGER NOT NULL,
	created_at     INTEGER NOT NULL,
	payload        BLOB    NOT NULL,
	error          TEXT    NOT NULL,
	attempts       INTEGER NOT NULL,
	first_seen     INTEGER NOT NULL,
	last_seen      INTEGER NOT NULL,
	PRIMARY KEY (consumer, message_id)
) WITHOUT ROWID;
CREATE INDEX dead_letters_correlation ON dead_letters (correlation_id);`}}
