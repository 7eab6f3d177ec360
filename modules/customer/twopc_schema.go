package customer

import "sagalab/storage"

// twoPhaseCommitMigration adds the Customer participant's prepared
// transactions: a PREPARED row is a reservation written but not applied,
// and a lock on its customer's credit.
var twoPhaseCommitMigration = storage.Migration{Name: "two-phase commit", SQL: `
CREATE TABLE twopc_prepared (
	tx_id       TEXT    PRIMARY KEY,
	customer_id TEXT    NOT NULL,
	amount      INTEGER NOT NULL,
	-- PREPARED (locked), COMMITTED, ABORTED, or REFUSED (voted no)
	state       TEXT    NOT NULL CHECK (state IN ('PREPARED', 'COMMITTED', 'ABORTED', 'REFUSED')),
	reason      TEXT    NOT NULL DEFAULT '',
	-- asked_at: when the participant last asked the coordinator for the
	-- decision (unix ns); prepared_at until it first does.
	prepared_at INTEGER NOT NULL,
	asked_at    INTEGER NOT NULL
);
CREATE INDEX twopc_prepared_locks ON twopc_prepared (customer_id) WHERE state = 'PREPARED';
CREATE INDEX twopc_prepared_waiting ON twopc_prepared (asked_at) WHERE state = 'PREPARED';`}
