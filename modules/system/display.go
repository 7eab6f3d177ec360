package system

import (
	"context"
	"database/sql"
	"fmt"

	"sagalab/modules/customer"
	customercontract "sagalab/modules/customer/contract"
	"sagalab/modules/history"
	"sagalab/modules/order"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/display"
)

// Shown is one module's tables as tools show them.
type Shown struct {
	Module string
	Tables []display.Table
}

// Displays lists every module's shown tables, module by module in the
// order a trace draws them; each service describes its own.
func Displays() []Shown {
	return []Shown{
		{ordercontract.Module, order.Tables()},
		{customercontract.Module, customer.Tables()},
		{history.Module, history.Tables()},
	}
}

// Query runs a read-only query on a module's database, to look at it.
func (s *System) Query(ctx context.Context, module, query string, args ...any) (*sql.Rows, error) {
	db, ok := s.files[module]
	if !ok {
		return nil, fmt.Errorf("query: no module %q", module)
	}
	return db.Reader().QueryContext(ctx, query, args...)
}
