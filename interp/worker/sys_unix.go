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

// closeOnExec keeps fd out of the processes a cell starts: one holding the
// kernel's pipes would keep them open after the worker is gone.
func closeOnExec(fd int) { syscall.CloseOnExec(fd) }

// killGroup kills the worker's process group. The caller makes sure the
// worker has not been reaped, as its pid could then be reused.
func killGroup(p *os.Process) {
	syscall.Kill(-p.Pid, syscall.SIGKILL)
}
