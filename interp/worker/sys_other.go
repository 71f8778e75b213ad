//go:build !unix

package worker

import (
	"os"
	"syscall"
)

// sysProcAttr has nothing to add where there are no process groups. (On
// Windows, exec.Cmd does not support ExtraFiles, so New fails there.)
func sysProcAttr() *syscall.SysProcAttr { return nil }

// closeOnExec does nothing: ExtraFiles, and so fds 3 and 4, are unix only.
func closeOnExec(int) {}

// killGroup kills the worker process.
func killGroup(p *os.Process) { p.Kill() }

// lowerPriority does nothing where there are no process groups.
func lowerPriority() error { return nil }

// awaitExit returns false at once: there is no process group to kill.
func awaitExit(int) bool { return false }
