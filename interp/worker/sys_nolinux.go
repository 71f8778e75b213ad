//go:build unix && !linux

package worker

import "syscall"

// setDeathSignal does nothing: only Linux has a parent-death signal. A worker
// whose kernel died still stops, when it reads EOF on its command pipe.
func setDeathSignal(*syscall.SysProcAttr) {}

// lowerPriority does nothing: only Linux applies a process group's priority
// to every thread.
func lowerPriority() error { return nil }
