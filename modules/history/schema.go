package history

import (
	"sagalab/bus"
	"sagalab/storage"
)

// migrations is history.db's schema, in order; append only.
var migrations = append(append([]storage.Migration{}, bus.Migrations...),
	storage.Migration{Name: "order history view", SQL: `
CREATE TABLE view_customers (
	id           TEXT    PRIMARY KEY,
	name         TEXT    NOT NULL,
	credit_limit INTEGER NOT NULL,
	created_at   INTEGER NOT NULL
);
CREATE INDEX view_customers_created ON view_customers (created_at);
-- One row per order, whichever of its events came first. rank orders the
-- states (PENDING 1, APPROVED and REJECTED 2, CANCELLED 3): an event never
-- moves an order back, so any delivery order gives the same row.
-- customer_created_at copies the customer's creation time (0 until the
-- customer's event arrives): the view is shaped for the "recent, valuable
-- customers" query, which becomes one range scan of view_orders_valuable.
CREATE TABLE view_orders (
	id                  TEXT    PRIMARY KEY,
	customer_id         TEXT    NOT NULL,
	customer_created_at INTEGER NOT NULL DEFAULT 0,
	total               INTEGER NOT NULL,
	state               TEXT    NOT NULL,
	rank                INTEGER NOT NULL
);
CREATE INDEX view_orders_customer ON view_orders (customer_id);
CREATE INDEX view_orders_valuable ON view_orders (state, customer_created_at, total);
-- How far the view has read each topic: every position up to upto, plus
-- the positions beyond it that arrived early.
CREATE TABLE view_positions (
	topic TEXT    PRIMARY KEY,
	upto  INTEGER NOT NULL
);
CREATE TABLE view_early (
	topic    TEXT    NOT NULL,
	position INTEGER NOT NULL,
	PRIMARY KEY (topic, position)
) WITHOUT ROWID;`},
	bus.TraceMigrations[0],
	bus.DeadLetterMigrations[0],
	bus.LeanOutboxMigrations[0],
)
