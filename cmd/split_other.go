//go:build !linux

package cmd

import "syscall"

// childAttr: elsewhere a child outlives a supervisor killed with -9.
func childAttr() *syscall.SysProcAttr { return nil }
