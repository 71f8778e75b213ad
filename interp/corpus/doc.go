// Package corpus holds a measurement, not code: its test runs the Go
// distribution's own "// run" programs through a gokernel session and reports
// how many behave as under go run. See corpus_test.go.
package corpus
