package worker

import (
	"errors"
	"io"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// pollPipe is the kernel's end of the pipe for the worker's stdout or
// stderr. It is not in the Go runtime's netpoller, on purpose: Go registers
// a pipe with epoll for good, and Linux then wakes the netpoller's thread
// for every write into the pipe, even while no goroutine reads it, so a cell
// printing line by line would cost the kernel a task switch per line however
// rarely it read. A pollPipe waits in ppoll(2) only inside Read: between
// reads, writes into the pipe wake nobody.
//
// Read blocks an OS thread while the pipe is empty. Stop ends that wait
// from another goroutine, through a second pipe, as closing an fd another
// thread polls is not safe.
type pollPipe struct {
	fd           int // read end, non-blocking
	stopR, stopW int // readable (closed write end) once Stop is called
	stopOnce     sync.Once
	closeOnce    sync.Once
}

// newStreamPipe returns a pipe whose write end is given to the worker.
func newStreamPipe() (streamReader, *os.File, error) {
	var p, s [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		return nil, nil, os.NewSyscallError("pipe2", err)
	}
	if err := syscall.Pipe2(s[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		syscall.Close(p[0])
		syscall.Close(p[1])
		return nil, nil, os.NewSyscallError("pipe2", err)
	}
	// Only the read end: the write end is the worker's blocking stdout.
	if err := syscall.SetNonblock(p[0], true); err != nil {
		for _, fd := range []int{p[0], p[1], s[0], s[1]} {
			syscall.Close(fd)
		}
		return nil, nil, os.NewSyscallError("fcntl", err)
	}
	return &pollPipe{fd: p[0], stopR: s[0], stopW: s[1]}, os.NewFile(uintptr(p[1]), "|1"), nil
}

// pollFd is struct pollfd.
type pollFd struct {
	fd      int32
	events  int16
	revents int16
}

const pollIn = 0x1 // POLLIN

func (r *pollPipe) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for {
		n, err := syscall.Read(r.fd, b)
		switch {
		case err == nil && n == 0:
			return 0, io.EOF
		case err == nil:
			return n, nil
		case errors.Is(err, syscall.EINTR):
			continue
		case !errors.Is(err, syscall.EAGAIN):
			return 0, os.NewSyscallError("read", err)
		}
		fds := [2]pollFd{{fd: int32(r.fd), events: pollIn}, {fd: int32(r.stopR), events: pollIn}}
		// No timeout and no signal mask: wait for data, EOF or Stop.
		_, _, e := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), uintptr(len(fds)), 0, 0, 0, 0)
		if e != 0 && e != syscall.EINTR {
			return 0, os.NewSyscallError("ppoll", e)
		}
		if fds[1].revents != 0 {
			return 0, os.ErrClosed
		}
	}
}

// Stop makes a blocked Read, and every later one that finds no data, return
// os.ErrClosed. It may be called from any goroutine, more than once.
func (r *pollPipe) Stop() {
	r.stopOnce.Do(func() { syscall.Close(r.stopW) })
}

// Close releases the pipe. Only the reading goroutine calls it, after its
// last Read.
func (r *pollPipe) Close() error {
	r.Stop()
	r.closeOnce.Do(func() {
		syscall.Close(r.fd)
		syscall.Close(r.stopR)
	})
	return nil
}
