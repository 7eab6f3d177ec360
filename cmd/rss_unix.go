//go:build unix && !linux

package cmd

import "syscall"

// peakRSS is the process's peak resident set size in bytes, 0 if unknown.
func peakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return int64(ru.Maxrss) * 1024 // kilobytes on Linux
}

// resetPeakRSS cannot start the peak again here.
func resetPeakRSS() {}
