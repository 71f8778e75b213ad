package worker

import (
	"syscall"
	"unsafe"
)

// setDeathSignal makes the kernel kill the worker if the kernel process dies
// without cleaning up. Linux sends the signal when the thread that started
// the worker exits; Go keeps its threads for the life of the process unless
// a goroutine locked to one exits, which this package never does.
func setDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }

// lowerPriority makes the worker's process group (the worker, its threads
// and anything it starts) yield the CPU to the kernel process, so that a
// cell burning every core does not delay heartbeats and control replies.
// On Linux, PRIO_PGRP reaches every thread, and new threads inherit it.
func lowerPriority() error { return syscall.Setpriority(syscall.PRIO_PGRP, 0, workerNice) }

// pPID is waitid's P_PID: wait for the one process whose pid is given.
const pPID = 1

// awaitExit blocks until the child process pid has exited, and reports
// whether it could tell. It does not reap the process: until it is reaped,
// its pid stays taken, so the process group it leads can still be killed
// without hitting another.
func awaitExit(pid int) bool {
	var info [128]byte // siginfo_t, unused
	for {
		_, _, e := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid), uintptr(unsafe.Pointer(&info[0])),
			syscall.WEXITED|syscall.WNOWAIT, 0, 0)
		if e != syscall.EINTR {
			return e == 0
		}
	}
}
