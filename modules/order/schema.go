package order

import (
	"sagalab/bus"
	"sagalab/bus/saga"
	"sagalab/storage"
)

// migrations is order.db's schema, in order; append only.
var migrations = append(append(append([]storage.Migration{}, bus.Migrations...), saga.Migrations...),
	storage.Migration{Name: "orders", SQL: `
CREATE TABLE orders (
	id               TEXT    PRIMARY KEY,
	customer_id      TEXT    NOT NULL,
	total            INTEGER NOT NULL CHECK (total > 0),
	state            TEXT    NOT NULL CHECK (state IN ('PENDING', 'APPROVED', 'REJECTED', 'CANCELLED')),
	rejection_reason TEXT    NOT NULL DEFAULT '',
	saga_mode        TEXT    NOT NULL CHECK (saga_mode IN ('choreography', 'orchestration')),
	-- deadline_at: when a choreographed PENDING order times out (unix ns); 0 once
	-- final and for orchestrated orders, whose saga instance holds the deadline.
	deadline_at      INTEGER NOT NULL DEFAULT 0,
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL
);
CREATE INDEX orders_customer ON orders (customer_id, state);
CREATE INDEX orders_state_total ON orders (state, total);
CREATE INDEX orders_deadline ON orders (deadline_at) WHERE deadline_at > 0;`},
	bus.TraceMigrations[0],
	bus.DeadLetterMigrations[0],
	twoPhaseCommitMigration,
	saga.LogMigrations[0],
	saga.LogMigrations[1],
	// A customer's orders are found by customer alone, as in the monolith:
	// with the state in the index, every state change moved the order's
	// entry among its customer's, a page written per order at random.
	storage.Migration{Name: "orders by customer alone", SQL: `
DROP INDEX orders_customer;
CREATE INDEX orders_customer ON orders (customer_id);`},
	saga.LogMigrations[2],
	bus.LeanOutboxMigrations[0],
)
