//go:build !unix

package modules

// lock serialises changes within this process only: without flock,
// sessions in different processes must not run %go get at the same time.
func (c *Cache) lock() (unlock func(), err error) {
	c.mu.Lock()
	return c.mu.Unlock, nil
}
