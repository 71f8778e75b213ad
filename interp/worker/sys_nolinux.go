//go:build unix && !linux

package worker

import "syscall"

// setDeathSignal does nothing: only Linux has a parent-death signal. A worker
// whose kernel died still stops, when it reads EOF on its command pipe.
func setDeathSignal(*syscall.SysProcAttr) {}
