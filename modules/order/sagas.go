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
	reserveCredit := func(d *orderSagaData) saga.Command {
		return saga.Command{Topic: customercontract.CommandsTopic, Type: customercontract.ReserveCredit,
			Payload: customercontract.ReserveCreditCommand{CustomerID: d.CustomerID, OrderID: d.OrderID, OrderTotal: d.OrderTotal}}
	}
	releaseCredit := func(d *orderSagaData) saga.Command {
		return saga.Command{Topic: customercontract.CommandsTopic, Type: customercontract.ReleaseCredit,
			Payload: customercontract.ReleaseCreditCommand{CustomerID: d.CustomerID, OrderID: d.OrderID}}
	}
	rejectWith := func(reason string) saga.Reply[orderSagaData] {
		return saga.Reply[orderSagaData]{Failure: true, Handle: func(d *orderSagaData, _ bus.Envelope) error {
			d.RejectionReason = reason
			return nil
		}}
	}

	// Create Order: create PENDING (compensation: reject), reserve credit
	// (compensation, on timeout: release it), approve.
	saga.Register(m.sagas, saga.Definition[orderSagaData]{
		Type: CreateOrderSaga,
		Steps: []saga.Step[orderSagaData]{
			{
				Name: "create order",
				Local: func(ctx context.Context, tx *bus.Tx, d *orderSagaData) error {
					now := m.cfg.Now()
					return m.insertOrder(ctx, tx, contract.Order{ID: d.OrderID, CustomerID: d.CustomerID,
						OrderTotal: d.OrderTotal, State: contract.Pending, SagaMode: contract.Orchestration,
						CreatedAt: now, UpdatedAt: now}, 0)
				},
				Compensation: func(ctx context.Context, tx *bus.Tx, d *orderSagaData) error {
					return m.finish(ctx, tx, nil, d.OrderID, contract.Rejected, d.RejectionReason)
				},
			},
			{
				Name:    "reserve credit",
				Command: reserveCredit,
				Replies: map[string]saga.Reply[orderSagaData]{
					customercontract.CustomerCreditReserved:      {},
					customercontract.CustomerCreditLimitExceeded: rejectWith(contract.ReasonInsufficientCredit),
					customercontract.CustomerNotFound:            rejectWith(contract.ReasonUnknownCustomer),
				},
				CompensationCommand: releaseCredit,
			},
			{
				Name: "approve order",
				Local: func(ctx context.Context, tx *bus.Tx, d *orderSagaData) error {
					return m.finish(ctx, tx, nil, d.OrderID, contract.Approved, "")
				},
			},
		},
		OnTimeout: func(d *orderSagaData) { d.RejectionReason = contract.ReasonTimeout },
	})

	// Cancel Order: cancel the APPROVED order (the point of no return),
	// then release its credit, retrying until the Customer service answers.
	saga.Register(m.sagas, saga.Definition[orderSagaData]{
		Type: CancelOrderSaga,
		Steps: []saga.Step[orderSagaData]{
			{
				Name: "cancel order",
				Local: func(ctx context.Context, tx *bus.Tx, d *orderSagaData) error {
					_, err := m.cancelOrder(ctx, tx, d.OrderID)
					return err
				},
			},
			{
				Name:    "release credit",
				Command: releaseCredit,
				Replies: map[string]saga.Reply[orderSagaData]{customercontract.CustomerCreditReleased: {}},
				Retry:   true,
			},
		},
	})
}

// startSaga starts a saga of typ for order o inside tx.
func (m *Module) startSaga(ctx context.Context, tx *bus.Tx, typ string, o contract.Order) error {
	_, err := saga.Start(ctx, m.sagas, tx, typ, o.ID,
		orderSagaData{OrderID: o.ID, CustomerID: o.CustomerID, OrderTotal: o.OrderTotal})
	if err != nil {
		return fmt.Errorf("start %s saga for order %s: %w", typ, o.ID, err)
	}
	return nil
}
