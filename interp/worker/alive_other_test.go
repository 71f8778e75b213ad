//go:build !unix

package worker

import "os"

// alive reports whether pid is a running process.
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
