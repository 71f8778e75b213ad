package system

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"time"
)

// Process is one process's CPU and memory use, from /proc/PID.
type Process struct {
	PID, PPID int
	State     string        // "R", "S", "Z", … as in ps
	CPUTime   time.Duration // user plus system time since it started
	RSS       uint64        // resident memory, bytes
	// PSS is the proportional set size in bytes (shared pages divided
	// among the processes sharing them), or 0 where the kernel does not
	// report it; it is the fairer sum over a process tree.
	PSS uint64
}

// Memory is PSS when known, else RSS.
func (p Process) Memory() uint64 {
	if p.PSS != 0 {
		return p.PSS
	}
	return p.RSS
}

// Process reads the process pid.
func (f FS) Process(pid int) (Process, error) {
	what := "process " + strconv.Itoa(pid)
	path := f.proc(strconv.Itoa(pid), "stat")
	data, err := readFile(what, path)
	if err != nil {
		return Process{}, err
	}
	p, err := parseStat(string(data))
	if err != nil {
		return Process{}, parseError(what, path, err.Error())
	}
	p.PID = pid
	// smaps_rollup exists since Linux 4.14 and may be unreadable for
	// another user's process: PSS then stays 0.
	if data, err := os.ReadFile(f.proc(strconv.Itoa(pid), "smaps_rollup")); err == nil {
		p.PSS = pssOf(string(data))
	}
	return p, nil
}

// parseStat reads the fields of /proc/PID/stat that Process holds.
func parseStat(s string) (Process, error) {
	// "pid (comm) state ppid …": comm may hold spaces and parentheses,
	// so the fields start after the last ')'.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return Process{}, errors.New("no command name")
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime, stime are fields 14, 15; rss is 24.
	if len(f) < 22 {
		return Process{}, errors.New("too few fields")
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return Process{}, errors.New("ppid is not a number")
	}
	v, err := uintFields([]string{f[11], f[12], f[21]})
	if err != nil {
		return Process{}, err
	}
	return Process{
		PPID: ppid, State: f[0],
		CPUTime: ticks(v[0] + v[1]),
		RSS:     v[2] * uint64(os.Getpagesize()),
	}, nil
}

// pssOf returns the Pss line of smaps_rollup in bytes, or 0.
func pssOf(s string) uint64 {
	for line := range strings.Lines(s) {
		if rest, ok := strings.CutPrefix(line, "Pss:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				if kb, err := strconv.ParseUint(f[0], 10, 64); err == nil {
					return kb * 1024
				}
			}
		}
	}
	return 0
}

// Descendants returns the PIDs of every live process below pid (children,
// their children, …), found by reading the parent of every process in /proc.
// Zombies are left out: they hold no memory and use no CPU.
func (f FS) Descendants(pid int) ([]int, error) {
	const what = "processes"
	entries, err := os.ReadDir(f.proc())
	if err != nil {
		return nil, wrapErr(what, err)
	}
	children := make(map[int][]int)
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue // not a process directory
		}
		// A process that exited while we looked, or one we may not
		// read, is no child of ours.
		data, err := os.ReadFile(f.proc(e.Name(), "stat"))
		if err != nil {
			continue
		}
		p, err := parseStat(string(data))
		if err != nil || p.State == "Z" || p.State == "X" {
			continue
		}
		children[p.PPID] = append(children[p.PPID], child)
	}
	var out []int
	for todo := []int{pid}; len(todo) > 0; {
		next := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		for _, c := range children[next] {
			out = append(out, c)
			todo = append(todo, c)
		}
	}
	return out, nil
}
