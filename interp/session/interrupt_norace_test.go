//go:build !race

package session

import "testing"

// TestInterruptKeepsState runs cells right after an interrupted one: state
// written before the interrupt survives and the session goes on. It is not
// built with -race; see TestInterrupt.
func TestInterruptKeepsState(t *testing.T) {
	for range 3 {
		ts := interruptLoop(t)
		runSteps(t, ts, []step{
			{code: "x >= 2", result: "true"},
			{code: "func twice(n int) int { return 2 * n }\ntwice(21)", result: "42"},
		})
	}
}
