package cmd

import "syscall"

// childAttr makes a module's child process end with its supervisor.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM} }
