package load

import (
	"time"
)

// PerSecond is the rate of completed sagas.
func (r Result) PerSecond() float64 { return float64(r.Sagas) / r.Elapsed.Seconds() }

// Percentile returns the p-th percentile (0 < p ≤ 1) of the latencies,
// nearest rank; 0 when none were timed.
func (r Result) Percentile(p float64) time.Duration { return percentile(r.Latencies, p) }

// percentile returns the p-th percentile (0 < p ≤ 1) of sorted, nearest
// rank; 0 for none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// Summary is a Result in figures, for people and tools (JSON).
type Summary struct {
	Name      string  `json:"name"` // what ran: a saga mode, "monolith"
	Sagas     int     `json:"sagas"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"perSecond"`
	// Latency percentiles from create to final state, in milliseconds.
	P50 float64 `json:"p50Ms"`
	P95 float64 `json:"p95Ms"`
	P99 float64 `json:"p99Ms"`
	// Databases holds, per module database, local transactions and
	// SQLite COMMITs per saga.
	Databases       []DatabaseFigures `json:"databases"`
	MessagesPerSaga float64           `json:"messagesPerSaga"`
	// CPUPerSaga is the process's CPU time per saga, in microseconds.
	CPUPerSaga float64 `json:"cpuPerSagaUs"`
	// In open loop, how late the orders went out (the load generator's
	// own lateness, included in the latencies), in milliseconds.
	LateP50 float64 `json:"lateP50Ms,omitempty"`
	LateP99 float64 `json:"lateP99Ms,omitempty"`
	// How long the process's goroutines, once ready to run, waited for
	// the Go scheduler (sampled by the runtime), in microseconds.
	WaitP50 float64 `json:"schedulerWaitP50Us"`
	WaitP99 float64 `json:"schedulerWaitP99Us"`
}

// DatabaseFigures is one database's writes per saga.
type DatabaseFigures struct {
	Database            string  `json:"database"`
	TransactionsPerSaga float64 `json:"transactionsPerSaga"`
	CommitsPerSaga      float64 `json:"commitsPerSaga"`
	// StatementsPerSaga counts the SQL statements of the committed
	// transactions (not BEGIN, SAVEPOINT, COMMIT).
	StatementsPerSaga float64 `json:"statementsPerSaga"`
	// WriterBusy is the share of the run, in percent, the database's
	// writer spent in transactions, while every other write to it waited.
	WriterBusy float64 `json:"writerBusyPercent"`
}

// Summary sums r up under name.
func (r Result) Summary(name string) Summary {
	n := float64(max(r.Sagas, 1))
	s := Summary{
		Name: name, Sagas: r.Sagas, Seconds: r.Elapsed.Seconds(), PerSecond: r.PerSecond(),
		P50: ms(r.Percentile(0.50)), P95: ms(r.Percentile(0.95)), P99: ms(r.Percentile(0.99)),
		MessagesPerSaga: float64(r.Messages) / n,
		CPUPerSaga:      float64(r.CPU) / float64(time.Microsecond) / n,
		LateP50:         ms(percentile(r.Late, 0.50)), LateP99: ms(percentile(r.Late, 0.99)),
		WaitP50: us(r.Waits.Percentile(0.50)), WaitP99: us(r.Waits.Percentile(0.99)),
	}
	for _, d := range r.Databases {
		s.Databases = append(s.Databases, DatabaseFigures{Database: d.Module,
			TransactionsPerSaga: float64(d.Transactions) / n, CommitsPerSaga: float64(d.Commits) / n,
			StatementsPerSaga: float64(d.Statements) / n, WriterBusy: percentOf(d.Busy, r.Elapsed)})
	}
	return s
}

// percentOf is part as a percentage of whole (0 for no whole).
func percentOf(part, whole time.Duration) float64 {
	if whole <= 0 {
		return 0
	}
	return 100 * float64(part) / float64(whole)
}

// Transactions is the local transactions per saga, over every database.
func (s Summary) Transactions() float64 {
	return s.total(func(d DatabaseFigures) float64 { return d.TransactionsPerSaga })
}

// Commits is the SQLite COMMITs per saga, over every database.
func (s Summary) Commits() float64 {
	return s.total(func(d DatabaseFigures) float64 { return d.CommitsPerSaga })
}

// Statements is the SQL statements per saga, over every database.
func (s Summary) Statements() float64 {
	return s.total(func(d DatabaseFigures) float64 { return d.StatementsPerSaga })
}

// total sums one figure over every database.
func (s Summary) total(figure func(DatabaseFigures) float64) float64 {
	var t float64
	for _, d := range s.Databases {
		t += figure(d)
	}
	return t
}
