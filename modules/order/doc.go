// Package order is the Order service: orders, their Create Order and Cancel
// Order sagas, and their timeouts. It owns order.db.
//
// # Where the choreography lives
//
// An orchestrated saga is one definition to read (sagas.go,
// Module.registerSagas). A choreographed one is spread over the services
// that take part; this is the map of the Create Order and Cancel Order
// sagas in choreography, step by step, as file and function (paths from
// modules/):
//
//	T1  order/order.go           Module.create            stores the order PENDING and
//	                             Module.insertOrder       emits OrderCreated, in one transaction
//	T2  customer/handlers.go     Module.onOrderCreated    hears OrderCreated (registered for
//	                                                      choreographed orders only) and calls
//	    customer/handlers.go     Module.reserveCredit     which decides, with
//	    customer/credit.go       decideReserve:           CustomerCreditReserved, or
//	                                                      CustomerCreditReservationFailed;
//	                                                      CustomerValidationFailed for no customer
//	T3  order/choreography.go    Module.onCustomerOutcome hears the outcome and calls
//	    order/order.go           Module.finish            APPROVED or REJECTED, emitting
//	                                                      OrderApproved or OrderRejected
//	timeout
//	    order/deadlines.go       Module.expire            a PENDING order past its deadline
//	                                                      (orders.deadline_at) is REJECTED/TIMEOUT
//	                                                      through Module.finish
//	compensation
//	    customer/handlers.go     Module.onOrderRejected   hears OrderRejected for TIMEOUT and calls
//	    customer/handlers.go     Module.releaseCredit     which decides with
//	    customer/credit.go       decideRelease:           the credit back; released before any
//	                                                      reservation, a late T2 is refused
//	cancel
//	    order/order.go           Module.cancel            APPROVED -> CANCELLED through
//	                             Module.cancelOrder       emitting OrderCancelled; the Customer
//	    customer/handlers.go     Module.onOrderCancelled  service releases the credit
//	                                                      (Module.releaseCredit)
//
// The handler registrations that connect them are Module.subscribe in
// order/choreography.go (the Customer service's events, choreographed orders
// only) and in customer/handlers.go (the Order service's events). In
// orchestration the same local transactions run as saga steps and commands:
// sagas.go here, Module.onReserveCredit and Module.onReleaseCredit in
// customer/handlers.go.
package order
