package customer

import (
	"context"
	"fmt"

	"sagalab/bus"
	"sagalab/bus/eventstore"
	"sagalab/storage"
)

// migrations is customer.db's schema, in order; append only. The first
// customers migration is the state-based format of sagalab before event
// sourcing: it stays so that the numbering of later ones holds.
var migrations = append(append(append(append([]storage.Migration{}, bus.Migrations...),
	storage.Migration{Name: "customers (state-based, replaced)", SQL: `
CREATE TABLE customers (
	id           TEXT    PRIMARY KEY,
	name         TEXT    NOT NULL,
	credit_limit INTEGER NOT NULL CHECK (credit_limit >= 0),
	reserved     INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= credit_limit),
	created_at   INTEGER NOT NULL
);
CREATE TABLE credit_reservations (
	order_id    TEXT    PRIMARY KEY,
	customer_id TEXT    NOT NULL,
	amount      INTEGER NOT NULL CHECK (amount >= 0),
	state       TEXT    NOT NULL CHECK (state IN ('RESERVED', 'FAILED', 'RELEASED')),
	reason      TEXT    NOT NULL DEFAULT '',
	updated_at  INTEGER NOT NULL
);
CREATE INDEX customers_created ON customers (created_at);
CREATE INDEX credit_reservations_customer ON credit_reservations (customer_id);`}),
	eventstore.Migrations...),
	storage.Migration{Name: "event-sourced customers", Check: refuseStateBasedData, SQL: `
DROP TABLE credit_reservations;
DROP TABLE customers;
-- Projections of the customer streams, updated in the transaction that
-- appends the events: the query side of the module, and the memory of each
-- order's decision. Both can be rebuilt from the events.
CREATE TABLE customer_view (
	id           TEXT    PRIMARY KEY,
	name         TEXT    NOT NULL,
	credit_limit INTEGER NOT NULL,
	reserved     INTEGER NOT NULL CHECK (reserved >= 0 AND reserved <= credit_limit),
	created_at   INTEGER NOT NULL,
	version      INTEGER NOT NULL
);
CREATE INDEX customer_view_created ON customer_view (created_at);
CREATE TABLE reservation_view (
	order_id    TEXT    PRIMARY KEY,
	customer_id TEXT    NOT NULL,
	amount      INTEGER NOT NULL,
	state       TEXT    NOT NULL
);`},
	bus.TraceMigrations[0],
	bus.DeadLetterMigrations[0],
	twoPhaseCommitMigration,
	bus.LeanOutboxMigrations[0],
)

// refuseStateBasedData refuses a customer.db that holds customers in the
// state-based format: their history was never recorded as events.
func refuseStateBasedData(ctx context.Context, tx *storage.Tx) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM customers`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("customer.db holds %d customers stored as state by an earlier sagalab, "+
			"before customers were event-sourced; their history cannot be made into events: "+
			"use a new data directory (--data)", n)
	}
	return nil
}
