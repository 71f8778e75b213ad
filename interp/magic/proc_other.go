//go:build !unix

package magic

import "os/exec"

// killGroupOnCancel leaves exec's default: without process groups only the
// command itself is killed.
func killGroupOnCancel(*exec.Cmd) {}

func signalOf(*exec.ExitError) string { return "" }
