package order

import (
	"context"
	"fmt"

	"sagalab/bus"
	"sagalab/bus/saga"
	customercontract "sagalab/modules/customer/contract"
	"sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
)

// Saga types of the Order service's orchestrator.
const (
	CreateOrderSaga = "CreateOrder"
	CancelOrderSaga = "CancelOrder"
)

// orderSagaData is the data both order sagas keep.
type orderSagaData struct {
	OrderID         string      `json:"orderId"`
	CustomerID      string      `json:"customerId"`
	OrderTotal      money.Money `json:"orderTotal"`
	RejectionReason string      `json:"rejectionReason,omitempty"`
}

func (m *Module) registerSagas() {
	type data = orderSagaData
	reserveCredit := func(d *data) saga.Command {
		return saga.Command{Topic: customercontract.CommandsTopic, Type: customercontract.ReserveCredit,
			Payload: customercontract.ReserveCreditCommand{CustomerID: d.CustomerID, OrderID: d.OrderID, OrderTotal: d.OrderTotal}}
	}
	releaseCredit := func(d *data) saga.Command {
		return saga.Command{Topic: customercontract.CommandsTopic, Type: customercontract.ReleaseCredit,
			Payload: customercontract.ReleaseCreditCommand{CustomerID: d.CustomerID, OrderID: d.OrderID}}
	}
	rejectedFor := func(reason string) func(d *data, _ bus.Envelope) error {
		return func(d *data, _ bus.Envelope) error {
			d.RejectionReason = reason
			return nil
		}
	}

	// Create Order: create PENDING (compensation: reject), reserve credit
	// (compensation, on timeout: release it), approve.
	m.createOrder = saga.Register(m.sagas, saga.Definition[data]{
		Type: CreateOrderSaga,
		Steps: []saga.Step[data]{
			saga.Local("create order", func(ctx context.Context, tx *bus.Tx, d *data) error {
				now := m.cfg.Now()
				return m.insertOrder(ctx, tx, contract.Order{ID: d.OrderID, CustomerID: d.CustomerID,
					OrderTotal: d.OrderTotal, State: contract.Pending, SagaMode: contract.Orchestration,
					CreatedAt: now, UpdatedAt: now}, 0)
			}).CompensatedBy(func(ctx context.Context, tx *bus.Tx, d *data) error {
				return m.finish(ctx, tx, nil, d.OrderID, contract.Rejected, d.RejectionReason)
			}),
			saga.Call("reserve credit", reserveCredit,
				saga.Success[data](customercontract.CustomerCreditReserved),
				saga.Failure(customercontract.CustomerCreditLimitExceeded, rejectedFor(contract.ReasonInsufficientCredit)),
				saga.Failure(customercontract.CustomerNotFound, rejectedFor(contract.ReasonUnknownCustomer)),
				saga.Failure(customercontract.CustomerCreditLocked, rejectedFor(contract.ReasonCreditLocked)),
			).CompensatedBy(releaseCredit),
			saga.Local("approve order", func(ctx context.Context, tx *bus.Tx, d *data) error {
				return m.finish(ctx, tx, nil, d.OrderID, contract.Approved, "")
			}),
		},
		OnTimeout: func(d *data) { d.RejectionReason = contract.ReasonTimeout },
	})

	// Cancel Order: cancel the APPROVED order (the point of no return),
	// then release its credit, retrying until the Customer service answers.
	m.cancelOrderSaga = saga.Register(m.sagas, saga.Definition[data]{
		Type: CancelOrderSaga,
		Steps: []saga.Step[data]{
			saga.Local("cancel order", func(ctx context.Context, tx *bus.Tx, d *data) error {
				_, err := m.cancelOrder(ctx, tx, d.OrderID)
				return err
			}),
			saga.Call("release credit", releaseCredit,
				saga.Success[data](customercontract.CustomerCreditReleased),
			).RetryOnTimeout(),
		},
	})
}

// startSaga starts saga s for order o inside tx.
func (m *Module) startSaga(ctx context.Context, tx *bus.Tx, s *saga.Saga[orderSagaData], o contract.Order) error {
	_, err := s.Start(ctx, tx, o.ID, orderSagaData{OrderID: o.ID, CustomerID: o.CustomerID, OrderTotal: o.OrderTotal})
	if err != nil {
		return fmt.Errorf("start %s saga for order %s: %w", s.Type(), o.ID, err)
	}
	return nil
}
