//go:build !linux && !darwin

package system

import (
	"fmt"
	"runtime"
)

func statfs(string) (Disk, error) {
	return Disk{}, fmt.Errorf("%w (no statfs on %s)", ErrUnavailable, runtime.GOOS)
}
