package order

import "sagalab/storage"

// twoPhaseCommitMigration lets an order be coordinated by two-phase commit
// (saga_mode '2pc': SQLite cannot change a CHECK, so the table is copied)
// and adds the coordinator's decision log and the Order participant's
// prepared transactions.
var twoPhaseCommitMigration = storage.Migration{Name: "two-phase commit", SQL: `
CREATE TABLE orders_2pc (
	id               TEXT    PRIMARY KEY,
	customer_id      TEXT    NOT NULL,
	total            INTEGER NOT NULL CHECK (total > 0),
	state            TEXT    NOT NULL CHECK (state IN ('PENDING', 'APPROVED', 'REJECTED', 'CANCELLED')),
	rejection_reason TEXT    NOT NULL DEFAULT '',
	saga_mode        TEXT    NOT NULL CHECK (saga_mode IN ('choreography', 'orchestration', '2pc')),
	deadline_at      INTEGER NOT NULL DEFAULT 0,
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL
);
INSERT INTO orders_2pc SELECT id, customer_id, total, state, rejection_reason, saga_mode, deadline_at,
	created_at, updated_at FROM orders;
DROP TABLE orders;
ALTER TABLE orders_2pc RENAME TO orders;
CREATE INDEX orders_customer ON orders (customer_id, state);
CREATE INDEX orders_state_total ON orders (state, total);
CREATE INDEX orders_deadline ON orders (deadline_at) WHERE deadline_at > 0;

-- The coordinator's decision log: one row per transaction (an order), its
-- votes, its decision once taken, and which participants acknowledged it.
CREATE TABLE twopc_log (
	tx_id          TEXT    PRIMARY KEY,
	state          TEXT    NOT NULL CHECK (state IN ('PREPARING', 'COMMITTED', 'ABORTED')),
	reason         TEXT    NOT NULL DEFAULT '',
	order_vote     TEXT    NOT NULL DEFAULT '',
	customer_vote  TEXT    NOT NULL DEFAULT '',
	order_ack      INTEGER NOT NULL DEFAULT 0,
	customer_ack   INTEGER NOT NULL DEFAULT 0,
	deadline_at    INTEGER NOT NULL,
	created_at     INTEGER NOT NULL,
	decided_at     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX twopc_log_open ON twopc_log (state, deadline_at);

-- The Order participant's side: each order it prepared, and what became of
-- it. A prepared order is locked: only the decision moves it.
CREATE TABLE twopc_order_prepared (
	tx_id TEXT PRIMARY KEY,
	state TEXT NOT NULL CHECK (state IN ('PREPARED', 'COMMITTED', 'ABORTED'))
);`}
