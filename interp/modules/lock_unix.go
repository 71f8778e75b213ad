//go:build unix

package modules

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lock takes the cache's lock file, waiting for other processes that hold
// it, and returns the function that releases it.
func (c *Cache) lock() (unlock func(), err error) {
	c.mu.Lock()
	name := filepath.Join(c.dir, "lock")
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		c.mu.Unlock()
		return nil, fmt.Errorf("modules: locking the cache: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		c.mu.Unlock()
		return nil, fmt.Errorf("modules: locking %s: %w", name, err)
	}
	return func() {
		f.Close() // releases the lock
		c.mu.Unlock()
	}, nil
}
