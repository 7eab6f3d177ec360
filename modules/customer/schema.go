package customer

import (
	"sagalab/bus"
	"sagalab/storage"
)

// migrations is customer.db's schema, in order; append only.
var migrations = append(append([]storage.Migration{}, bus.Migrations...),
	storage.Migration{Name: "customers", SQL: `
CREATE TABLE customers (
	id           TEXT    PRIMARY KEY,
	name         TEXT    NOT NULL,
	credit_limit INTEGER NOT NULL CHECK (credit_limit >= 0),
	reserved     INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= credit_limit),
	created_at   INTEGER NOT NULL
);
-- No foreign key to customers: a release may name a customer that does not
-- exist, and its marker must still be kept.
CREATE TABLE credit_reservations (
	order_id    TEXT    PRIMARY KEY,
	customer_id TEXT    NOT NULL,
	amount      INTEGER NOT NULL CHECK (amount >= 0),
	state       TEXT    NOT NULL CHECK (state IN ('RESERVED', 'FAILED', 'RELEASED')),
	reason      TEXT    NOT NULL DEFAULT '',
	updated_at  INTEGER NOT NULL
);
CREATE INDEX customers_created ON customers (created_at);
CREATE INDEX credit_reservations_customer ON credit_reservations (customer_id);`},
)
