//go:build unix

package worker

import (
	"os"
	"syscall"
)

// sysProcAttr puts the worker in its own process group, so that a SIGINT to
// the kernel's group (Ctrl-C in a terminal) does not reach it and killGroup
// also ends processes the worker started.
func sysProcAttr() *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	setDeathSignal(a)
	return a
}

// killGroup kills the worker's process group. The caller makes sure the
// worker has not been reaped, as its pid could then be reused.
func killGroup(p *os.Process) {
	syscall.Kill(-p.Pid, syscall.SIGKILL)
}
