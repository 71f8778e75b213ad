//go:build unix && !linux

package worker

import "syscall"

// setDeathSignal does nothing: only Linux has a parent-death signal. A worker
// whose kernel died still stops, when it reads EOF on its command pipe.
func setDeathSignal(*syscall.SysProcAttr) {}

// lowerPriority does nothing: only Linux applies a process group's priority
// to every thread.
func lowerPriority() error { return nil }

// awaitExit returns false at once: there is no waitid(2) with WNOWAIT in
// package syscall here, so the exit of a worker is known only once it has
// been reaped, when its process group can no longer be killed safely.
func awaitExit(int) bool { return false }
