package load

import (
	"reflect"
	"testing"
)

// The median of runs takes each figure's median on its own, a database's
// by name, whatever order the runs list their databases in.
func TestMedian(t *testing.T) {
	run := func(perSecond, p99, cpu, orderTx, customerTx, orderBusy float64) Summary {
		return Summary{Name: "orchestration", Sagas: 10, PerSecond: perSecond, P99: p99, CPUPerSaga: cpu,
			Databases: []DatabaseFigures{{Database: "order", TransactionsPerSaga: orderTx, WriterBusy: orderBusy},
				{Database: "customer", TransactionsPerSaga: customerTx}}}
	}
	swapped := run(3000, 9, 450, 1.2, 0.2, 40)
	swapped.Databases[0], swapped.Databases[1] = swapped.Databases[1], swapped.Databases[0]
	got := Median([]Summary{run(2000, 30, 600, 1.0, 0.1, 55), swapped, run(4000, 12, 500, 1.1, 0.3, 70)})
	want := Summary{Name: "orchestration", Sagas: 10, PerSecond: 3000, P99: 12, CPUPerSaga: 500,
		Databases: []DatabaseFigures{{Database: "order", TransactionsPerSaga: 1.1, WriterBusy: 55},
			{Database: "customer", TransactionsPerSaga: 0.2}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("median\n got %+v\nwant %+v", got, want)
	}
	if m := MedianOf([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Fatalf("median of 1..4 = %v, want 2.5", m)
	}
	if m := MedianOf(nil); m != 0 {
		t.Fatalf("median of none = %v, want 0", m)
	}
}
