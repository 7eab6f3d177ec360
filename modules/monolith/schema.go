package monolith

import "sagalab/storage"

// migrations is store.db's schema, in order; append only. The CHECK on
// reserved is the monolith's invariant, enforced by the database itself:
// credit is never reserved beyond the limit.
var migrations = []storage.Migration{{Name: "customers and orders", SQL: `
CREATE TABLE customers (
	id           TEXT    PRIMARY KEY,
	name         TEXT    NOT NULL,
	credit_limit INTEGER NOT NULL CHECK (credit_limit >= 0),
	reserved     INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= credit_limit),
	created_at   INTEGER NOT NULL
);
CREATE INDEX customers_created ON customers (created_at);
CREATE TABLE orders (
	id               TEXT    PRIMARY KEY,
	customer_id      TEXT    NOT NULL,
	total            INTEGER NOT NULL CHECK (total > 0),
	state            TEXT    NOT NULL CHECK (state IN ('APPROVED', 'REJECTED', 'CANCELLED')),
	rejection_reason TEXT    NOT NULL DEFAULT '',
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL
);
CREATE INDEX orders_customer ON orders (customer_id);
CREATE INDEX orders_valuable ON orders (state, total);`}}
