package worker

import "syscall"

// setDeathSignal makes the kernel kill the worker if the kernel process dies
// without cleaning up. Linux sends the signal when the thread that started
// the worker exits; Go keeps its threads for the life of the process unless
// a goroutine locked to one exits, which this package never does.
func setDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
