package kernel

import (
	"math"
	"os"
	"runtime"
	"time"

	"github.com/gokernel/gokernel/system"
)

// usageWindow is how long a usage_request watches the CPU counters to turn
// them into percentages. ipykernel measures from one request to the next
// instead, which needs state kept between requests; a short window gives a
// meaningful first answer too, at the cost of holding the control channel
// that long.
const usageWindow = 100 * time.Millisecond

// usageRequest answers usage_request (a control message from
// jupyter-resource-usage and JupyterLab's kernel usage panel) with the
// content ipykernel sends: hostname, pid, cpu_count, kernel_cpu and
// kernel_memory (the kernel process and all its descendants, so the workers
// that run the cells count), host_cpu_percent and host_virtual_memory.
// Where /proc cannot be read (not Linux), the fields that need it are left
// out.
func (k *Kernel) usageRequest(req inbound) error {
	var fs system.FS
	pid := os.Getpid()
	before := takeUsageSample(fs, pid)
	start := time.Now()
	time.Sleep(usageWindow)
	after := takeUsageSample(fs, pid)
	content := usageContent(pid, before, after, time.Since(start))
	if mem, err := fs.Memory(); err == nil {
		content["host_virtual_memory"] = virtualMemory(mem)
	} else {
		k.log.Debug("usage_request: no host memory", "err", err)
	}
	k.reply(req, "usage_reply", content)
	return nil
}

// usageSample is what usage_request reads at each end of its window.
type usageSample struct {
	procs   map[int]system.Process // the kernel and its descendants, by pid
	host    system.CPUTimes
	hostErr error // set when host is unknown
}

// takeUsageSample reads the process tree below pid and the host's CPU
// counters. A process that cannot be read is left out: it exited.
func takeUsageSample(fs system.FS, pid int) usageSample {
	s := usageSample{procs: make(map[int]system.Process)}
	s.host, s.hostErr = fs.CPUTimes()
	pids, err := fs.Descendants(pid)
	if err != nil {
		return s
	}
	for _, p := range append([]int{pid}, pids...) {
		if proc, err := fs.Process(p); err == nil {
			s.procs[p] = proc
		}
	}
	return s
}

// usageContent builds usage_reply's content from two samples elapsed apart.
func usageContent(pid int, before, after usageSample, elapsed time.Duration) map[string]any {
	content := map[string]any{"pid": pid, "cpu_count": runtime.NumCPU()}
	if host, err := os.Hostname(); err == nil {
		content["hostname"] = host
	}
	if len(after.procs) > 0 && elapsed > 0 {
		// Like psutil's Process.cpu_percent, summed over the tree: 100
		// is one CPU kept busy, so a tree can use more than 100.
		var cpu time.Duration
		var mem uint64
		for p, now := range after.procs {
			mem += now.Memory()
			if then, ok := before.procs[p]; ok && now.CPUTime >= then.CPUTime {
				cpu += now.CPUTime - then.CPUTime
			}
		}
		content["kernel_cpu"] = round1(float64(cpu) / float64(elapsed) * 100)
		content["kernel_memory"] = mem
	}
	// ipykernel leaves host_cpu_percent out when it measures 0.0, since
	// psutil's first measurement is meaningless; do the same so clients
	// see one behaviour.
	if before.hostErr == nil && after.hostErr == nil {
		if pct := round1(after.host.BusyPercent(before.host)); pct != 0 {
			content["host_cpu_percent"] = pct
		}
	}
	return content
}

// virtualMemory is psutil.virtual_memory()._asdict(), which ipykernel sends
// as host_virtual_memory.
func virtualMemory(m system.Memory) map[string]any {
	return map[string]any{
		"total": m.Total, "available": m.Available, "percent": round1(m.UsedPercent()),
		"used": m.Used, "free": m.Free, "active": m.Active, "inactive": m.Inactive,
		"buffers": m.Buffers, "cached": m.Cached, "shared": m.Shared, "slab": m.Slab,
	}
}

// round1 rounds to one decimal, as psutil reports percentages.
func round1(x float64) float64 { return math.Round(x*10) / 10 }
