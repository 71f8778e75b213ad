//go:build !race

package session

// raceEnabled is set when the tests run with -race.
const raceEnabled = false
