package load

import "slices"

// Median sums up several runs of the same load: each figure is the median
// of the runs' (a database's figures, of the runs that have it, by name).
// On a shared machine whose speed wanders, the median of a few alternating
// runs is steadier than any one run.
func Median(runs []Summary) Summary {
	if len(runs) == 0 {
		return Summary{}
	}
	pick := func(f func(Summary) float64) float64 {
		vs := make([]float64, len(runs))
		for i, r := range runs {
			vs[i] = f(r)
		}
		return MedianOf(vs)
	}
	out := Summary{
		Name:            runs[0].Name,
		Sagas:           runs[0].Sagas,
		Seconds:         pick(func(s Summary) float64 { return s.Seconds }),
		PerSecond:       pick(func(s Summary) float64 { return s.PerSecond }),
		P50:             pick(func(s Summary) float64 { return s.P50 }),
		P95:             pick(func(s Summary) float64 { return s.P95 }),
		P99:             pick(func(s Summary) float64 { return s.P99 }),
		MessagesPerSaga: pick(func(s Summary) float64 { return s.MessagesPerSaga }),
		CPUPerSaga:      pick(func(s Summary) float64 { return s.CPUPerSaga }),
		LateP50:         pick(func(s Summary) float64 { return s.LateP50 }),
		LateP99:         pick(func(s Summary) float64 { return s.LateP99 }),
		WaitP50:         pick(func(s Summary) float64 { return s.WaitP50 }),
		WaitP99:         pick(func(s Summary) float64 { return s.WaitP99 }),
	}
	for _, d := range runs[0].Databases {
		var tx, commits, stmts, busy []float64
		for _, r := range runs {
			i := slices.IndexFunc(r.Databases, func(x DatabaseFigures) bool { return x.Database == d.Database })
			if i < 0 {
				continue
			}
			x := r.Databases[i]
			tx, commits, stmts = append(tx, x.TransactionsPerSaga), append(commits, x.CommitsPerSaga),
				append(stmts, x.StatementsPerSaga)
			busy = append(busy, x.WriterBusy)
		}
		out.Databases = append(out.Databases, DatabaseFigures{Database: d.Database,
			TransactionsPerSaga: MedianOf(tx), CommitsPerSaga: MedianOf(commits), StatementsPerSaga: MedianOf(stmts),
			WriterBusy: MedianOf(busy)})
	}
	return out
}

// MedianOf returns the median of vs (the mean of the middle two for an
// even count); 0 for none.
func MedianOf(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(vs))
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}
