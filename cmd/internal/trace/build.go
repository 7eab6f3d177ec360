package trace

import (
	"cmp"
	"slices"

	"sagalab/bus"
	ordercontract "sagalab/modules/order/contract"
)

// Build assembles an order's trace from what each module sent and received
// for it. consumers names the modules that need a message, to show who has
// yet to handle it. Steps follow causation: a message, the local
// transaction it caused in each module that handled it, then what that
// transaction sent. An initiating transaction that wrote several messages
// is one step, before them all.
func Build(orderID, mode, state string, participants []string, traffic []bus.Traffic, consumers func(m bus.Envelope) []string) Trace {
	t := Trace{OrderID: orderID, SagaMode: mode, State: state, Participants: participants}
	var sent []bus.Traffic
	received := map[string][]bus.Traffic{} // message id -> its handlings
	for _, tr := range traffic {
		if tr.Sent {
			sent = append(sent, tr)
		} else {
			received[tr.ID] = append(received[tr.ID], tr)
		}
	}
	slices.SortStableFunc(sent, func(a, b bus.Traffic) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Module, b.Module), cmp.Compare(a.Seq, b.Seq))
	})
	for id := range received {
		slices.SortStableFunc(received[id], func(a, b bus.Traffic) int {
			return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Module, b.Module))
		})
	}
	children := map[string][]bus.Traffic{} // causation id -> messages it caused
	var roots []bus.Traffic
	for _, m := range sent {
		if _, caused := received[m.CausationID]; caused {
			children[m.CausationID] = append(children[m.CausationID], m)
		} else {
			roots = append(roots, m)
		}
	}
	var visit func(m bus.Traffic)
	visit = func(m bus.Traffic) {
		handlers := received[m.ID]
		for _, h := range handlers {
			to := consumerOf(m.Topic, h.Module)
			t.Steps = append(t.Steps, Step{Kind: Message, At: h.At, From: m.Module, To: to, Type: m.Type,
				Topic: m.Topic, MessageID: m.ID, CausationID: m.CausationID, Summary: Summarize(m.Payload),
				Compensation: IsCompensation(m.Type)})
			t.Steps = append(t.Steps, Step{Kind: Transaction, At: h.At, From: to, Effect: h.Effect,
				MessageID: m.ID, Compensation: IsCompensation(m.Type)})
			for _, c := range children[m.ID] {
				if c.Module == h.Module {
					visit(c)
				}
			}
		}
		if m.Delivered || consumers == nil {
			return
		}
		for _, to := range consumers(m.Envelope) {
			if !slices.ContainsFunc(handlers, func(h bus.Traffic) bool { return h.Module == laneOf(to) }) {
				t.Steps = append(t.Steps, Step{Kind: Message, At: m.At, From: m.Module, To: to, Type: m.Type,
					Topic: m.Topic, MessageID: m.ID, Summary: Summarize(m.Payload), Pending: true})
			}
		}
	}
	for _, tx := range together(roots) {
		if st, ok := initiatingStep(tx); ok {
			t.Steps = append(t.Steps, st)
		}
		for _, m := range tx {
			visit(m)
		}
	}
	return t
}

// consumerOf names who handled a message on topic in module: the two-phase
// commit coordinator for what the participants tell it, else the module.
func consumerOf(topic, module string) string {
	if topic == ordercontract.CoordinatorTopic && module == laneOf(ordercontract.Coordinator) {
		return ordercontract.Coordinator
	}
	return module
}
