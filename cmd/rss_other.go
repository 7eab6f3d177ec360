//go:build !unix

package cmd

// peakRSS is unknown here.
func peakRSS() int64 { return 0 }

// resetPeakRSS cannot start the peak again here.
func resetPeakRSS() {}
