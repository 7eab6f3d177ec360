package queries

import (
	"fmt"
	"strings"
	"time"

	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
)

// The ways to answer the valuable-customers query.
const (
	ViaComposition1N   = "composition-1n"
	ViaCompositionBulk = "composition-bulk"
	ViaView            = "view"
	// ViaMonolith is one SQL join on the monolith's one database: it
	// answers on a data directory the monolith wrote, not among Vias.
	ViaMonolith = "monolith"
	// ViaAll answers every way, to compare them.
	ViaAll = "all"
)

// Vias lists the ways, in the order a comparison shows them.
var Vias = []string{ViaComposition1N, ViaCompositionBulk, ViaView}

// UnknownVia says that via is not a way to answer the query.
func UnknownVia(via string) error {
	return fmt.Errorf("via: %q is not one of %s or %s", via, strings.Join(Vias, ", "), ViaAll)
}

// ParseValuableQuery reads the query's parameters as given by a user:
// minTotal (an amount, default 0), state (default APPROVED) and
// createdAfter (RFC 3339 or YYYY-MM-DD, default: the beginning of time).
func ParseValuableQuery(minTotal, state, createdAfter string) (ValuableCustomers, error) {
	var q ValuableCustomers
	if minTotal != "" {
		m, err := money.Parse(minTotal)
		if err != nil {
			return q, fmt.Errorf("minTotal: %w", err)
		}
		q.MoreThan = m
	}
	q.State = ordercontract.Approved
	if state != "" {
		switch st := ordercontract.State(strings.ToUpper(state)); st {
		case ordercontract.Pending, ordercontract.Approved, ordercontract.Rejected, ordercontract.Cancelled:
			q.State = st
		default:
			return q, fmt.Errorf("state: %q is not PENDING, APPROVED, REJECTED or CANCELLED", state)
		}
	}
	if createdAfter != "" {
		t, err := time.Parse(time.RFC3339Nano, createdAfter)
		if err != nil {
			if t, err = time.Parse(time.DateOnly, createdAfter); err != nil {
				return q, fmt.Errorf("createdAfter: %q is not a time such as 2026-11-26 or 2026-11-26T10:00:00Z", createdAfter)
			}
		}
		q.CreatedAfter = t
	}
	return q, nil
}
