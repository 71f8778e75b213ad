package worker

import "syscall"

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
