package order

import (
	"sync"

	"sagalab/modules/order/contract"
)

// sagaModes remembers the saga mode of the orders this process created or
// looked up: a Customer service event is handled only for a choreographed
// order, and an order's saga mode never changes, so the answer needs no
// query once known. An order is remembered only once it has committed.
type sagaModes struct {
	mu    sync.Mutex
	modes map[string]contract.SagaMode
}

// sagaModesSize bounds the memory; when full it starts again empty.
const sagaModesSize = 100_000

func (s *sagaModes) get(orderID string) (contract.SagaMode, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mode, ok := s.modes[orderID]
	return mode, ok
}

func (s *sagaModes) put(orderID string, mode contract.SagaMode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.modes == nil || len(s.modes) >= sagaModesSize {
		s.modes = map[string]contract.SagaMode{}
	}
	s.modes[orderID] = mode
}
