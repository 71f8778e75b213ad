//go:build !linux

package worker

import "os"

// filePipe is the kernel's end of the pipe for the worker's stdout or
// stderr where there is no pollPipe: an ordinary pipe in the netpoller.
type filePipe struct{ *os.File }

func newStreamPipe() (streamReader, *os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	return filePipe{r}, w, nil
}

// Stop makes a blocked Read return: closing an *os.File is safe while
// another goroutine reads it.
func (r filePipe) Stop() { r.File.Close() }
