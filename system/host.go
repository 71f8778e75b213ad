package system

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"time"
)

// Uptime is how long the system has been running, from /proc/uptime.
func (f FS) Uptime() (time.Duration, error) {
	const what = "uptime"
	path := f.proc("uptime")
	data, err := readFile(what, path)
	if err != nil {
		return 0, err
	}
	fields := strings.Fields(firstLine(data))
	if len(fields) == 0 {
		return 0, parseError(what, path, "empty")
	}
	secs, err := strconv.ParseFloat(fields[0], 64)
	if err != nil || secs < 0 {
		return 0, parseError(what, path, strconv.Quote(fields[0])+" is not a number of seconds")
	}
	return time.Duration(secs * float64(time.Second)), nil
}

// Load is the system load, from /proc/loadavg.
type Load struct {
	One, Five, Fifteen float64 // run-queue length averaged over 1, 5 and 15 minutes
	Running            int     // runnable threads now
	Threads            int     // threads in the system
}

// LoadAverage reads the load averages.
func (f FS) LoadAverage() (Load, error) {
	const what = "load average"
	path := f.proc("loadavg")
	data, err := readFile(what, path)
	if err != nil {
		return Load{}, err
	}
	// "0.20 0.18 0.12 1/80 11206"
	fields := strings.Fields(firstLine(data))
	if len(fields) < 4 {
		return Load{}, parseError(what, path, "want at least 4 fields")
	}
	var l Load
	for i, dst := range []*float64{&l.One, &l.Five, &l.Fifteen} {
		if *dst, err = strconv.ParseFloat(fields[i], 64); err != nil {
			return Load{}, parseError(what, path, strconv.Quote(fields[i])+" is not a number")
		}
	}
	run, total, ok := strings.Cut(fields[3], "/")
	l.Running, err = strconv.Atoi(run)
	if err == nil {
		l.Threads, err = strconv.Atoi(total)
	}
	if !ok || err != nil {
		return Load{}, parseError(what, path, strconv.Quote(fields[3])+" is not running/total")
	}
	return l, nil
}

// Memory is the system's memory in bytes, from /proc/meminfo, computed as
// psutil's virtual_memory computes it on Linux.
type Memory struct {
	Total     uint64
	Available uint64 // what can be given to new programs without swapping
	Used      uint64 // Total - Free - Buffers - Cached
	Free      uint64
	Active    uint64
	Inactive  uint64
	Buffers   uint64
	Cached    uint64 // page cache plus reclaimable kernel slabs
	Shared    uint64
	Slab      uint64
}

// UsedPercent is the share of memory not available, from 0 to 100.
func (m Memory) UsedPercent() float64 {
	if m.Total == 0 {
		return 0
	}
	return float64(m.Total-min(m.Available, m.Total)) / float64(m.Total) * 100
}

// Memory reads the memory counters.
func (f FS) Memory() (Memory, error) {
	const what = "memory"
	path := f.proc("meminfo")
	data, err := readFile(what, path)
	if err != nil {
		return Memory{}, err
	}
	kb := make(map[string]uint64)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		// "MemTotal:        8048016 kB"
		name, rest, ok := strings.Cut(sc.Text(), ":")
		fields := strings.Fields(rest)
		if !ok || len(fields) == 0 {
			continue
		}
		if v, err := strconv.ParseUint(fields[0], 10, 64); err == nil {
			kb[name] = v * 1024
		}
	}
	total, ok := kb["MemTotal"]
	if !ok {
		return Memory{}, parseError(what, path, "no MemTotal")
	}
	m := Memory{
		Total:    total,
		Free:     kb["MemFree"],
		Active:   kb["Active"],
		Inactive: kb["Inactive"],
		Buffers:  kb["Buffers"],
		Cached:   kb["Cached"] + kb["SReclaimable"],
		Shared:   kb["Shmem"],
		Slab:     kb["Slab"],
	}
	if avail, ok := kb["MemAvailable"]; ok {
		m.Available = avail
	} else {
		// Kernels before 3.14 do not estimate it.
		m.Available = m.Free + m.Buffers + m.Cached
	}
	m.Used = m.Total - m.Free
	if m.Used >= m.Buffers+m.Cached {
		m.Used -= m.Buffers + m.Cached
	}
	return m, nil
}

// CPUTimes is the time all CPUs together spent in each state since boot,
// from the first line of /proc/stat.
type CPUTimes struct {
	User, Nice, System, Idle, IOWait, IRQ, SoftIRQ, Steal time.Duration
}

// Total is the sum of all states.
func (c CPUTimes) Total() time.Duration {
	return c.User + c.Nice + c.System + c.Idle + c.IOWait + c.IRQ + c.SoftIRQ + c.Steal
}

// Busy is the time spent neither idle nor waiting for I/O.
func (c CPUTimes) Busy() time.Duration { return c.Total() - c.Idle - c.IOWait }

// BusyPercent is the share of time the CPUs were busy between an earlier
// sample and c, from 0 to 100 (of all CPUs together).
func (c CPUTimes) BusyPercent(earlier CPUTimes) float64 {
	total := c.Total() - earlier.Total()
	if total <= 0 {
		return 0
	}
	return float64(c.Busy()-earlier.Busy()) / float64(total) * 100
}

// CPUTimes reads the CPU time counters.
func (f FS) CPUTimes() (CPUTimes, error) {
	const what = "cpu times"
	path := f.proc("stat")
	data, err := readFile(what, path)
	if err != nil {
		return CPUTimes{}, err
	}
	// "cpu  user nice system idle iowait irq softirq steal guest guest_nice";
	// guest time is already counted in user.
	fields := strings.Fields(firstLine(data))
	if len(fields) < 9 || fields[0] != "cpu" {
		return CPUTimes{}, parseError(what, path, "first line is not the cpu total")
	}
	v, err := uintFields(fields[1:9])
	if err != nil {
		return CPUTimes{}, parseError(what, path, err.Error())
	}
	return CPUTimes{
		User: ticks(v[0]), Nice: ticks(v[1]), System: ticks(v[2]), Idle: ticks(v[3]),
		IOWait: ticks(v[4]), IRQ: ticks(v[5]), SoftIRQ: ticks(v[6]), Steal: ticks(v[7]),
	}, nil
}

// userHZ is the unit of the tick counts in /proc (USER_HZ). Reading it
// needs sysconf(_SC_CLK_TCK), which needs cgo, but Linux fixes it at 100 on
// every architecture gokernel is built for.
const userHZ = 100

func ticks(n uint64) time.Duration { return time.Duration(n) * (time.Second / userHZ) }
