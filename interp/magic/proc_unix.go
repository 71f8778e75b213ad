//go:build unix

package magic

import (
	"os/exec"
	"syscall"
)

// killGroupOnCancel puts the command in a process group of its own and
// makes cancelling its context kill that whole group, so a pipeline or a
// script's children die with it.
func killGroupOnCancel(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The group's id is the shell's pid.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

func signalOf(e *exec.ExitError) string {
	if ws, ok := e.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return ws.Signal().String()
	}
	return ""
}
