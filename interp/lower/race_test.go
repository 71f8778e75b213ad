//go:build race

package lower_test

// raceEnabled is set when the tests run with -race.
const raceEnabled = true
